// Creates or updates the ferry function on AWS Lambda from a deployment package zip.
// Region and credentials come from the AWS SDK's default chain (AWS_REGION / AWS_PROFILE /
// ~/.aws/config, env keys, SSO, instance or container roles) unless given.
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { lambdaLimits } from '../../core/pricing.js';
import { DeployError, formatBytes, lambdaEnvironment, type LambdaArch } from './deployment-package.js';

export const lambdaRuntime = 'nodejs20.x';
export const lambdaHandler = 'index.handler';

export interface DeployOptions {
  functionName: string;
  /** The zip built by buildDeploymentPackage. */
  zip: Uint8Array;
  /** IAM role the function runs as; needed to create it, optional to update it (kept as is). */
  roleArn?: string;
  memoryMb: number;
  timeoutS: number;
  arch: LambdaArch;
  /** Set on the function, over any variables it already has. Default: lambdaEnvironment. */
  environment?: Record<string, string>;
  region?: string;
  /** Another Lambda API endpoint (a local stand-in for tests). */
  endpoint?: string;
  /** A client to use instead of one built from region / endpoint and the default chain. */
  client?: LambdaClient;
  /** How long to wait for the function to become active / updated. @default 300 */
  maxWaitS?: number;
  log?: (message: string) => void;
}

export interface DeployResult {
  action: 'created' | 'updated';
  functionArn: string;
  codeSha256: string;
  memoryMb: number;
  timeoutS: number;
  arch: string;
  state: string;
  lastUpdateStatus: string;
}

/**
 * GetFunction; if there is none, CreateFunction and wait until it is Active; otherwise
 * UpdateFunctionCode, wait until the update is done, UpdateFunctionConfiguration and wait
 * again (Lambda refuses a configuration change while a code update is in progress).
 */
export async function deployFunction(options: DeployOptions): Promise<DeployResult> {
  const log = options.log ?? (() => undefined);
  if (options.zip.byteLength > lambdaLimits.maxDirectUploadZipBytes) {
    throw new DeployError(
      `The zip is ${formatBytes(options.zip.byteLength)}, over the ${formatBytes(lambdaLimits.maxDirectUploadZipBytes)} Lambda accepts ` +
        'in a direct upload: it would have to go through S3 (Code.S3Bucket / S3Key), which ferry deploy does not do',
    );
  }
  const client = options.client ?? await lambdaClient(options);
  const maxWaitTime = options.maxWaitS ?? 300;
  const FunctionName = options.functionName;
  const environment = options.environment ?? { ...lambdaEnvironment };
  try {
    const existing = await getFunction(client, FunctionName);

    if (!existing) {
      if (!options.roleArn) {
        throw new DeployError(`Function ${FunctionName} does not exist yet, and creating it needs --role ARN (an IAM role Lambda can assume, with AWSLambdaBasicExecutionRole)`);
      }
      log(`creating function ${FunctionName} (${lambdaRuntime}, ${options.arch}, ${options.memoryMb} MB, ${options.timeoutS} s)`);
      await call('CreateFunction', () => client.send(new CreateFunctionCommand({
        FunctionName,
        Runtime: lambdaRuntime,
        Handler: lambdaHandler,
        Role: options.roleArn,
        PackageType: 'Zip',
        Code: { ZipFile: options.zip },
        MemorySize: options.memoryMb,
        Timeout: options.timeoutS,
        Architectures: [options.arch],
        Environment: { Variables: environment },
        Description: 'ferry: batched multi-process ML inference',
      })));
      log('waiting until the function is Active');
      await waitFor('active', client, FunctionName, maxWaitTime);
      return result('created', await getConfiguration(client, FunctionName));
    }

    if (existing.PackageType && existing.PackageType !== 'Zip') {
      throw new DeployError(`Function ${FunctionName} exists as a ${existing.PackageType} function; ferry deploys zip packages only: choose another --function name`);
    }
    log(`updating the code of function ${FunctionName} (${options.arch})`);
    await call('UpdateFunctionCode', () => client.send(new UpdateFunctionCodeCommand({
      FunctionName,
      ZipFile: options.zip,
      Architectures: [options.arch],
    })));
    log('waiting until the code update is done');
    await waitFor('updated', client, FunctionName, maxWaitTime);
    log(`updating its configuration (${options.memoryMb} MB, ${options.timeoutS} s, environment)`);
    await call('UpdateFunctionConfiguration', () => client.send(new UpdateFunctionConfigurationCommand({
      FunctionName,
      Runtime: lambdaRuntime,
      Handler: lambdaHandler,
      ...(options.roleArn ? { Role: options.roleArn } : {}),
      MemorySize: options.memoryMb,
      Timeout: options.timeoutS,
      Environment: { Variables: { ...existing.Environment?.Variables, ...environment } },
    })));
    log('waiting until the configuration update is done');
    await waitFor('updated', client, FunctionName, maxWaitTime);
    return result('updated', await getConfiguration(client, FunctionName));
  } finally {
    if (!options.client) client.destroy();
  }
}

function result(action: DeployResult['action'], config: FunctionConfiguration): DeployResult {
  return {
    action,
    functionArn: config.FunctionArn ?? '',
    codeSha256: config.CodeSha256 ?? '',
    memoryMb: config.MemorySize ?? 0,
    timeoutS: config.Timeout ?? 0,
    arch: config.Architectures?.join(',') ?? '',
    state: config.State ?? '',
    lastUpdateStatus: config.LastUpdateStatus ?? '',
  };
}

/**
 * A Lambda client from the SDK's default chain (or the given region / endpoint), after
 * checking that the chain yields a region and credentials: call it before slow work to fail
 * early. The caller destroys the client.
 */
export async function lambdaClient(options: { region?: string; endpoint?: string }): Promise<LambdaClient> {
  const client = new LambdaClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  try {
    try {
      await client.config.region();
    } catch {
      throw new DeployError('No AWS region: pass --region or set AWS_REGION (or a region in your AWS profile)');
    }
    await call('Resolving AWS credentials', () => client.config.credentials());
    return client;
  } catch (error) {
    client.destroy();
    throw error;
  }
}

/** The function's configuration, or undefined when there is no such function. */
async function getFunction(client: LambdaClient, FunctionName: string): Promise<FunctionConfiguration | undefined> {
  try {
    const answer = await client.send(new GetFunctionCommand({ FunctionName }));
    return answer.Configuration ?? {};
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw awsError('GetFunction', error);
  }
}

async function getConfiguration(client: LambdaClient, FunctionName: string): Promise<FunctionConfiguration> {
  return call('GetFunctionConfiguration', () => client.send(new GetFunctionConfigurationCommand({ FunctionName })));
}

async function waitFor(what: 'active' | 'updated', client: LambdaClient, FunctionName: string, maxWaitTime: number): Promise<void> {
  try {
    const wait = what === 'active' ? waitUntilFunctionActiveV2 : waitUntilFunctionUpdatedV2;
    await wait({ client, maxWaitTime }, { FunctionName });
  } catch (error) {
    // The waiter's own error is a JSON dump; say what Lambda said instead, if it said anything.
    let detail = (error as Error).message;
    try {
      const config = await getConfiguration(client, FunctionName);
      detail = what === 'active'
        ? `State ${config.State}: ${config.StateReason ?? 'no reason given'}`
        : `LastUpdateStatus ${config.LastUpdateStatus}: ${config.LastUpdateStatusReason ?? 'no reason given'}`;
    } catch {
      // keep the waiter's message
    }
    throw new DeployError(`Function ${FunctionName} did not become ${what} within ${maxWaitTime} s: ${detail}`, { cause: error });
  }
}

async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw awsError(operation, error);
  }
}

function awsError(operation: string, error: unknown): DeployError {
  if (error instanceof DeployError) return error;
  const { name, message } = error as Error;
  const hints: Record<string, string> = {
    CredentialsProviderError: 'no AWS credentials found: set AWS_PROFILE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or run where a role is available',
    AccessDeniedException: 'the credentials lack a Lambda permission (lambda:GetFunction, CreateFunction, UpdateFunctionCode, UpdateFunctionConfiguration) or iam:PassRole on the role',
    ResourceConflictException: 'another update of the function is in progress: retry when it is done',
  };
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'InvalidParameterValueException' && /assume/i.test(message)) {
    hints[name] = 'a newly created role can take a few seconds before Lambda can assume it: retry shortly';
  }
  const hint = hints[name] ? ` (${hints[name]})` : '';
  return new DeployError(`${operation} failed: ${name}${status ? ` [HTTP ${status}]` : ''}: ${message}${hint}`, { cause: error });
}
