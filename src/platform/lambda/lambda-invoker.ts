import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  LambdaServiceException,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
  type LambdaClientConfig,
} from '@aws-sdk/client-lambda';
import type { FunctionEvent } from '../../core/function-event.js';
import { settleInvocation, type FunctionInvoker, type InvokeErrorKind, type InvokeOutcome } from '../../core/invoker.js';
import { outcomeFromInvoke } from '../../core/invoke-outcome.js';

export interface LambdaInvokerOptions {
  /** AWS region; from the usual chain (AWS_REGION, profile) when absent. */
  region?: string;
  /** Another Lambda-compatible endpoint, e.g. ferry's local runtime at http://127.0.0.1:9001. */
  endpoint?: string;
  /** Static credentials (the local runtime accepts any); the default chain when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How long to wait for a memory change to finish. @default 120 */
  updateWaitS?: number;
}

/**
 * Invokes functions on AWS Lambda (or any endpoint speaking its API) with the AWS SDK v3.
 *
 * Memory changes use UpdateFunctionConfiguration on $LATEST and wait until
 * LastUpdateStatus is no longer InProgress. AWS Lambda Power Tuning instead publishes a
 * version and an alias per memory size, because it runs many sizes side by side; ferry's
 * tuner tries one configuration at a time, minutes apart, so one mutable $LATEST is simpler,
 * leaves no versions to clean up, and the few seconds of update are off the request path
 * (invocations meanwhile run on the previous configuration).
 */
export class LambdaInvoker implements FunctionInvoker {
  readonly kind = 'lambda';
  private readonly client: LambdaClient;

  constructor(private readonly options: LambdaInvokerOptions = {}) {
    const config: LambdaClientConfig = { maxAttempts: 1 };
    if (options.region) config.region = options.region;
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.credentials) config.credentials = options.credentials;
    // ferry's dispatcher owns retries (with backoff and jitter); the SDK's would hide 429s.
    this.client = new LambdaClient(config);
  }

  invoke(functionName: string, event: FunctionEvent, done: (outcome: InvokeOutcome) => void): void {
    settleInvocation(() => this.run(functionName, event), done);
  }

  private async run(functionName: string, event: FunctionEvent): Promise<InvokeOutcome> {
    try {
      const response = await this.client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          LogType: 'Tail',
          Payload: Buffer.from(JSON.stringify(event)),
        }),
      );
      const payload = response.Payload ? Buffer.from(response.Payload).toString('utf8') : 'null';
      const log = response.LogResult ? Buffer.from(response.LogResult, 'base64').toString('utf8') : undefined;
      return outcomeFromInvoke(payload, response.FunctionError, log);
    } catch (error) {
      return { ok: false, error: sdkError(error) };
    }
  }

  async getMemoryMb(functionName: string): Promise<number> {
    const config = await this.client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return config.MemorySize ?? 128;
  }

  setMemoryMb(functionName: string, memoryMb: number, done: (error?: Error) => void): void {
    this.updateMemory(functionName, memoryMb).then(() => done(), (error: unknown) => done(error as Error));
  }

  private async updateMemory(functionName: string, memoryMb: number): Promise<void> {
    await this.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: functionName, MemorySize: memoryMb }));
    await waitUntilFunctionUpdatedV2(
      { client: this.client, maxWaitTime: this.options.updateWaitS ?? 120, minDelay: 1, maxDelay: 5 },
      { FunctionName: functionName },
    );
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function sdkError(error: unknown): { kind: InvokeErrorKind; errorType: string; message: string } {
  if (error instanceof LambdaServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    const kind: InvokeErrorKind =
      error.name === 'TooManyRequestsException' || status === 429 ? 'throttled'
        : error.name === 'ResourceNotFoundException' || status === 404 ? 'not-found'
          : status >= 400 && status < 500 ? 'invalid-request' : 'transport';
    return { kind, errorType: error.name, message: error.message };
  }
  return { kind: 'transport', errorType: (error as Error).name ?? 'Error', message: (error as Error).message ?? String(error) };
}
