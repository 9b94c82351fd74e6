import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deployFunction } from '../../src/platform/lambda/deploy.js';
import { lambdaLimits } from '../../src/core/pricing.js';

/**
 * A stand-in for the Lambda REST API (2015-03-31) that keeps one function in memory and,
 * like Lambda, reports a create as Pending and a code update as InProgress for one poll,
 * refusing a configuration update meanwhile.
 */
interface FakeFunction {
  config: Record<string, unknown>;
  zip: Buffer;
  pendingPolls: number;
}

const calls: string[] = [];
let fn: FakeFunction | undefined;

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
  res.end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = /^\/2015-03-31\/functions(?:\/([^/]+))?(?:\/(code|configuration))?\/?$/.exec(url.pathname);
  const op = `${req.method} ${match?.[2] ?? (match?.[1] ? 'function' : 'functions')}`;
  calls.push(op);
  const notFound = (): void => send(res, 404, { Type: 'User', Message: 'Function not found' }, 'ResourceNotFoundException');
  const poll = (): Record<string, unknown> => {
    if (fn && fn.pendingPolls > 0) fn.pendingPolls -= 1;
    else if (fn) fn.config = { ...fn.config, State: 'Active', LastUpdateStatus: 'Successful' };
    return fn!.config;
  };

  switch (op) {
    case 'GET function':
      return fn ? send(res, 200, { Configuration: poll(), Code: { RepositoryType: 'S3' } }) : notFound();
    case 'GET configuration':
      return fn ? send(res, 200, poll()) : notFound();
    case 'POST functions': {
      const { Code, ...rest } = body as { Code: { ZipFile: string }; FunctionName: string };
      fn = {
        zip: Buffer.from(Code.ZipFile, 'base64'),
        pendingPolls: 1,
        config: { ...rest, FunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${rest.FunctionName}`, State: 'Pending', LastUpdateStatus: 'InProgress', CodeSha256: 'sha-1' },
      };
      return send(res, 201, fn.config);
    }
    case 'PUT code':
      if (!fn) return notFound();
      fn.zip = Buffer.from(body.ZipFile as string, 'base64');
      fn.pendingPolls = 1;
      fn.config = { ...fn.config, Architectures: body.Architectures, LastUpdateStatus: 'InProgress', CodeSha256: 'sha-2' };
      return send(res, 200, fn.config);
    case 'PUT configuration':
      if (!fn) return notFound();
      if (fn.config.LastUpdateStatus === 'InProgress') {
        return send(res, 409, { Type: 'User', Message: 'The operation cannot be performed at this time. An update is in progress' }, 'ResourceConflictException');
      }
      fn.config = { ...fn.config, ...body, LastUpdateStatus: 'InProgress' };
      fn.pendingPolls = 0;
      return send(res, 200, fn.config);
    default:
      return send(res, 400, { Message: `fake Lambda: unexpected ${req.method} ${url.pathname}` }, 'InvalidRequestContentException');
  }
}

describe('deployFunction against a local stand-in of the Lambda API', () => {
  let server: Server;
  let endpoint: string;
  let client: LambdaClient;
  const zip = new Uint8Array(Buffer.from('PK fake zip'));
  const base = { functionName: 'ferry-test', zip, memoryMb: 1769, timeoutS: 60, arch: 'x86_64' as const };

  beforeAll(async () => {
    server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new LambdaClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  afterAll(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    calls.length = 0;
  });

  it('refuses to create a function without a role, after only GetFunction', async () => {
    fn = undefined;
    await expect(deployFunction({ ...base, client })).rejects.toThrow(/needs --role/);
    expect(calls).toEqual(['GET function']);
  });

  it('creates a missing function and waits until it is Active', async () => {
    fn = undefined;
    const result = await deployFunction({ ...base, client, roleArn: 'arn:aws:iam::123456789012:role/ferry' });
    expect(result).toMatchObject({ action: 'created', state: 'Active', memoryMb: 1769, timeoutS: 60, arch: 'x86_64' });
    expect(calls.slice(0, 2)).toEqual(['GET function', 'POST functions']);
    expect(fn!.zip.toString()).toBe('PK fake zip');
    expect(fn!.config).toMatchObject({
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::123456789012:role/ferry',
      Architectures: ['x86_64'],
      Environment: { Variables: { FERRY_MODEL_DIR: '/var/task/models', FERRY_CACHE_DIR: '/tmp/ferry-cache' } },
    });
  });

  it('updates an existing one: code, wait, configuration (keeping its other variables), wait', async () => {
    fn!.config = { ...fn!.config, Environment: { Variables: { KEEP: 'me', FERRY_CACHE_DIR: '/old' } } };
    // Through `endpoint` and the default credential chain (here: environment keys).
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    try {
      const result = await deployFunction({ ...base, memoryMb: 3538, region: 'us-east-1', endpoint });
      expect(result).toMatchObject({ action: 'updated', memoryMb: 3538, lastUpdateStatus: 'Successful', codeSha256: 'sha-2' });
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
    // The fake refuses a configuration update during a code update, so this order is forced.
    expect(calls.filter((c) => c !== 'GET function')).toEqual(['PUT code', 'PUT configuration', 'GET configuration']);
    expect(fn!.config.Environment).toEqual({ Variables: { KEEP: 'me', FERRY_MODEL_DIR: '/var/task/models', FERRY_CACHE_DIR: '/tmp/ferry-cache' } });
    expect(fn!.config.MemorySize).toBe(3538);
  });

  it('refuses a zip over the direct-upload limit before calling anything', async () => {
    const big = new Uint8Array(lambdaLimits.maxDirectUploadZipBytes + 1);
    await expect(deployFunction({ ...base, zip: big, client })).rejects.toThrow(/through S3/);
    expect(calls).toEqual([]);
  });

  it('reports an AWS error with the operation and its type', async () => {
    const broken = new LambdaClient({ region: 'us-east-1', endpoint: `${endpoint}/nowhere`, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    try {
      await expect(deployFunction({ ...base, client: broken })).rejects.toThrow(/^GetFunction failed: InvalidRequestContentException \[HTTP 400\]/);
    } finally {
      broken.destroy();
    }
  });
});
