import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { FerryError } from '../core/errors.js';
import { functionOptionsFromEnv } from '../function/handler.js';
import { defaultModelName, getModel, modelNames } from '../function/models/registry.js';
import { deployFunction, lambdaClient } from '../platform/lambda/deploy.js';
import {
  buildDeploymentPackage,
  DeployError,
  formatBytes,
  lambdaEnvironment,
  
  packageLimitProblems,
  type DeploymentPackage,
  type LambdaArch,
} from '../platform/lambda/deployment-package.js';
import { lambdaLimits } from '../core/pricing.js';
import { integerOption } from '../util/options.js';

interface DeployCliOptions {
  function: string;
  model: string[];
  role?: string;
  region?: string;
  memoryMb: number;
  timeoutS: number;
  arch: LambdaArch;
  endpoint?: string;
  out?: string;
  dryRun?: boolean;
}

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('package the function for AWS Lambda (nodejs20.x) and create or update it (--dry-run: build and describe the zip only)')
    .requiredOption('--function <name>', 'Lambda function name (or ARN)', functionName)
    .option('--model <names>', `models to ship, comma-separated, from: ${modelNames().join(', ')}`, modelList, [defaultModelName])
    .option('--role <arn>', 'IAM role the function runs as (needed to create it; AWSLambdaBasicExecutionRole suffices)')
    .option('--region <region>', 'AWS region (default: the AWS SDK chain, e.g. AWS_REGION or the profile)')
    .option('--memory-mb <mb>', 'memory size; Lambda gives 1 vCPU per 1769 MB', integerOption('--memory-mb', 128, 10240), 1769)
    .option('--timeout-s <s>', 'function timeout in seconds', integerOption('--timeout-s', 1, 900), 60)
    .option('--arch <arch>', 'x86_64 or arm64', architecture, 'x86_64')
    .option('--endpoint <url>', 'another Lambda API endpoint (e.g. a local stand-in)')
    .option('--out <file.zip>', 'where to write the zip (default: a temporary folder)')
    .option('--dry-run', 'build the zip and describe it; call no AWS API')
    .action(async (options: DeployCliOptions) => {
      try {
        await runDeploy(options);
      } catch (error) {
        if (!(error instanceof DeployError)) throw error;
        console.error(`ferry deploy: ${error.message}`);
        process.exitCode = 1;
      }
    });
}

async function runDeploy(options: DeployCliOptions): Promise<void> {
  const progress = (message: string): void => console.error(`ferry deploy: ${message}`);
  // Without --dry-run, find the region and credentials before the build, to fail early.
  const client = options.dryRun ? undefined : await lambdaClient(options);
  try {
    await buildAndDeploy(options, progress, client);
  } finally {
    client?.destroy();
  }
}

async function buildAndDeploy(options: DeployCliOptions, progress: (message: string) => void, client: LambdaClient | undefined): Promise<void> {
  const startMs = performance.now();
  const pkg = await buildDeploymentPackage({
    models: options.model,
    arch: options.arch,
    cacheDir: functionOptionsFromEnv(process.env).cacheDir,
    ...(options.out ? { outFile: options.out } : {}),
    log: progress,
  });
  progress(`built in ${((performance.now() - startMs) / 1000).toFixed(1)} s`);
  for (const line of describePackage(pkg, options.arch)) console.log(line);

  const problems = packageLimitProblems(pkg);
  if (problems.unzipped) console.log(`\nOVER THE LIMIT: ${problems.unzipped}`);
  if (problems.directUpload) console.log(`\nOVER THE LIMIT: ${problems.directUpload}`);
  if (!client) {
    console.log('\n--dry-run: no AWS API called.');
    return;
  }
  if (problems.unzipped ?? problems.directUpload) {
    throw new DeployError(`Not deploying: ${problems.unzipped ?? problems.directUpload}`);
  }

  const zip = await readFile(pkg.zipPath);
  // A zip in a temporary folder of our own served its purpose once read (keep it with --out).
  if (!options.out) await rm(path.dirname(pkg.zipPath), { recursive: true, force: true });
  const deployed = await deployFunction({
    functionName: options.function,
    zip,
    ...(options.role ? { roleArn: options.role } : {}),
    memoryMb: options.memoryMb,
    timeoutS: options.timeoutS,
    arch: options.arch,
    environment: { ...lambdaEnvironment },
    client,
    log: progress,
  });
  console.log(`\n${deployed.action} ${deployed.functionArn}`);
  console.log(`  ${deployed.memoryMb} MB, ${deployed.timeoutS} s, ${deployed.arch}, state ${deployed.state}, last update ${deployed.lastUpdateStatus}, code sha256 ${deployed.codeSha256}`);
}

/** Sizes against Lambda's limits, then the files grouped by top folder (and package). */
export function describePackage(pkg: DeploymentPackage, arch: LambdaArch): string[] {
  const percent = (bytes: number, limit: number): string => `${((bytes / limit) * 100).toFixed(0)}%`;
  const lines = [
    `package ${pkg.zipPath} (Lambda ${arch}, ${pkg.entries.length} files)`,
    `  zipped   ${formatBytes(pkg.zipBytes).padStart(10)}  (${percent(pkg.zipBytes, lambdaLimits.maxDirectUploadZipBytes)} of the ${formatBytes(lambdaLimits.maxDirectUploadZipBytes)} direct-upload limit)`,
    `  unzipped ${formatBytes(pkg.unzippedBytes).padStart(10)}  (${percent(pkg.unzippedBytes, lambdaLimits.maxUnzippedPackageBytes)} of the ${formatBytes(lambdaLimits.maxUnzippedPackageBytes)} unzipped limit)`,
    'contents (unzipped sizes)',
  ];
  type Group = { files: number; bytes: number; children: Map<string, { files: number; bytes: number }> };
  const groups = new Map<string, Group>();
  for (const { path: file, bytes } of pkg.entries) {
    const parts = file.split('/');
    const top = parts.length === 1 ? file : `${parts[0]}/`;
    const group = groups.get(top) ?? { files: 0, bytes: 0, children: new Map() };
    group.files += 1;
    group.bytes += bytes;
    if (parts.length > 1) {
      // node_modules/@scope/name counts as one package.
      const child = parts[0] === 'node_modules' && parts[1]?.startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1]!;
      const entry = group.children.get(child) ?? { files: 0, bytes: 0 };
      entry.files += 1;
      entry.bytes += bytes;
      group.children.set(child, entry);
    }
    groups.set(top, group);
  }
  const row = (indent: string, name: string, files: number, bytes: number): string =>
    `${indent}${name.padEnd(40 - indent.length)} ${`${files} file${files === 1 ? '' : 's'}`.padStart(10)} ${formatBytes(bytes).padStart(10)}`;
  for (const [name, group] of groups) {
    lines.push(row('  ', name, group.files, group.bytes));
    const children = [...group.children].sort((a, b) => b[1].bytes - a[1].bytes);
    for (const [child, { files, bytes }] of children) lines.push(row('    ', child, files, bytes));
  }
  return lines;
}

function functionName(text: string): string {
  if (!/^([A-Za-z0-9_-]{1,64}|arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[A-Za-z0-9_-]{1,64})$/.test(text)) {
    throw new FerryError('INVALID_ARGUMENT', `Expected --function to be 1 to 64 letters, digits, - or _ (or a function ARN), got "${text}"`);
  }
  return text;
}

function modelList(text: string): string[] {
  const names = text.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  for (const name of names) getModel(name);
  if (names.length === 0) throw new FerryError('INVALID_ARGUMENT', `Expected --model to name at least one model, got "${text}"`);
  return [...new Set(names)];
}

function architecture(text: string): LambdaArch {
  if (text !== 'x86_64' && text !== 'arm64') {
    throw new FerryError('INVALID_ARGUMENT', `Expected --arch to be x86_64 or arm64, got "${text}"`);
  }
  return text;
}
