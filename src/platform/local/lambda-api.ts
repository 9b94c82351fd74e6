import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lambdaLimits } from '../../core/pricing.js';
import { LambdaApiError } from './runtime-errors.js';
import type { LocalRuntime } from './runtime.js';
import { verifySignature } from './sigv4.js';

export interface LambdaApiOptions {
  /**
   * A shared secret: every request must then be signed with it (AWS Signature V4, access
   * key id `ferry`, see sigv4.ts), or is refused with 403 before anything runs. Without
   * one, any request from a process that can reach the port is served (it binds 127.0.0.1).
   */
  secret?: string;
}

/** Lambda keeps the last 4 KB of the log in X-Amz-Log-Result. */
const logTailBytes = 4096;

const routes = {
  invoke: /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/,
  configuration: /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/,
  getFunction: /^\/2015-03-31\/functions\/([^/]+)\/?$/,
};

/**
 * The parts of the AWS Lambda API that ferry uses, in Lambda's own shapes, so that
 * `@aws-sdk/client-lambda` pointed at this server works unchanged: Invoke,
 * GetFunction, GetFunctionConfiguration, UpdateFunctionConfiguration. Plus
 * `GET /local/billing`, ferry's own: the runtime's billing totals per function.
 */
export function createLambdaApi(runtime: LocalRuntime, options: LambdaApiOptions = {}): Server {
  return createServer((request, response) => {
    handle(runtime, request, response, options).catch((error: unknown) => {
      const apiError = error instanceof LambdaApiError ? error : new LambdaApiError(500, 'ServiceException', (error as Error).message);
      sendError(response, apiError);
    });
  });
}

export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

async function handle(runtime: LocalRuntime, request: IncomingMessage, response: ServerResponse, options: LambdaApiOptions): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  const rawTarget = request.url ?? '/';
  const queryAt = rawTarget.indexOf('?');
  // An unsigned request is refused before its body is read; a signed one is checked
  // against its body (the signature covers the body's hash).
  if (options.secret !== undefined && request.headers.authorization === undefined) {
    throw new LambdaApiError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const body = await readBody(request, lambdaLimits.maxPayloadBytes);
  if (options.secret !== undefined) {
    verifySignature({
      method, rawPath: queryAt < 0 ? rawTarget : rawTarget.slice(0, queryAt), rawQuery: queryAt < 0 ? '' : rawTarget.slice(queryAt + 1), headers: request.headers, body,
    }, options.secret, Date.now());
  }
  let match: RegExpExecArray | null;
  if ((match = routes.invoke.exec(url.pathname)) && method === 'POST') {
    const name = functionName(match[1]!);
    const invocationType = header(request, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (invocationType === 'DryRun') {
      runtime.getConfiguration(name);
      return send(response, 204, '');
    }
    const payload = body.length === 0 ? '{}' : body.toString('utf8');
    if (invocationType === 'Event') {
      runtime.getConfiguration(name);
      runtime.invoke(name, payload).catch(() => undefined);
      return send(response, 202, '');
    }
    if (invocationType !== 'RequestResponse') {
      throw new LambdaApiError(400, 'InvalidParameterValueException', `Unsupported X-Amz-Invocation-Type: ${invocationType}`);
    }
    const result = await runtime.invoke(name, payload);
    const headers: Record<string, string> = {
      'X-Amz-Executed-Version': '$LATEST',
      'x-amzn-RequestId': result.billing.requestId,
    };
    if (result.functionError) headers['X-Amz-Function-Error'] = result.functionError;
    if (header(request, 'x-amz-log-type') === 'Tail') {
      const log = Buffer.from(result.log, 'utf8');
      headers['X-Amz-Log-Result'] = log.subarray(Math.max(0, log.length - logTailBytes)).toString('base64');
    }
    return send(response, 200, result.payload, headers);
  }
  if ((match = routes.configuration.exec(url.pathname))) {
    const name = functionName(match[1]!);
    if (method === 'GET') return sendJson(response, 200, runtime.getConfiguration(name));
    if (method === 'PUT') {
      const changes = parseJson(body) as { MemorySize?: unknown; Timeout?: unknown };
      return sendJson(response, 200, runtime.updateConfiguration(name, changes));
    }
  }
  if ((match = routes.getFunction.exec(url.pathname)) && method === 'GET') {
    const configuration = runtime.getConfiguration(functionName(match[1]!));
    return sendJson(response, 200, { Configuration: configuration, Code: { RepositoryType: 'Local' } });
  }
  if (url.pathname === '/local/billing' && method === 'GET') {
    return sendJson(response, 200, { functions: runtime.billing.allTotals() });
  }
  throw new LambdaApiError(404, 'UnknownOperationException', `Unknown operation ${method} ${url.pathname}`);
}

/** Accepts a name, `name:qualifier`, or a function ARN, as Lambda does. */
function functionName(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new LambdaApiError(400, 'InvalidParameterValueException', 'The function name is not valid percent-encoding');
  }
  const bare = decoded.startsWith('arn:') ? (decoded.split(':function:')[1] ?? decoded) : decoded;
  return bare.split(':')[0]!;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8') || '{}');
  } catch (error) {
    throw new LambdaApiError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`);
  }
}

async function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) {
      request.resume();
      throw new LambdaApiError(413, 'RequestTooLargeException', `Request must be smaller than ${limitBytes} bytes for the InvokeFunction operation`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, JSON.stringify(value));
}

function sendError(response: ServerResponse, error: LambdaApiError): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  send(response, error.statusCode, JSON.stringify(error.body()), { 'x-amzn-ErrorType': error.errorType });
}
