import http from 'node:http';
import https from 'node:https';
import type { ImageBody } from './samples.js';

/** How one request ended: an HTTP status (with the error body's `code`), or no answer. */
export interface Answer {
  /** The HTTP status, or 'network' when no answer came (refused, reset, client timeout). */
  status: number | 'network';
  /** `code` from a gateway error body `{ error, code }`; for 'network', the socket error's code. */
  code?: string;
  /** From handing the request to the socket layer to the last byte of the answer. */
  latencyMs: number;
}

export interface PosterOptions {
  /** Sockets kept open to the gateway, at most (size it to the requests in flight). */
  maxSockets: number;
  /** A request with no full answer by then ends as 'network' / CLIENT_TIMEOUT. @default 60000 */
  timeoutMs?: number;
  /** Extra headers on every request (e.g. Authorization). */
  headers?: Record<string, string>;
}

/**
 * Talks to the gateway over keep-alive connections (node:http, not fetch: the pool size and
 * the timing are then ours to set, and fetch refuses some ports, e.g. 6000). `post` never
 * rejects: every request resolves to an Answer.
 */
export class GatewayClient {
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(private readonly baseUrl: URL, private readonly options: PosterOptions) {
    const secure = baseUrl.protocol === 'https:';
    this.transport = secure ? https : http;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets, scheduling: 'lifo' as const };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  post(pathname: string, body: ImageBody): Promise<Answer> {
    const url = new URL(pathname, this.baseUrl);
    const startMs = performance.now();
    return new Promise((resolve) => {
      let finished = false;
      const finish = (answer: Omit<Answer, 'latencyMs'>) => {
        if (finished) return;
        finished = true;
        resolve({ ...answer, latencyMs: performance.now() - startMs });
      };
      const request = this.transport.request(url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.options.headers, 'content-type': body.contentType, 'content-length': body.bytes.length },
      }, (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        // A 200's body is not needed; an error's carries the code.
        if (status !== 200) response.on('data', (chunk: Buffer) => chunks.push(chunk));
        else response.resume();
        response.on('end', () => finish(status === 200 ? { status } : { status, ...codeOf(Buffer.concat(chunks)) }));
        response.on('error', (error: NodeJS.ErrnoException) => finish({ status: 'network', code: error.code ?? 'RESPONSE_ERROR' }));
      });
      request.setTimeout(this.options.timeoutMs ?? 60_000, () => {
        finish({ status: 'network', code: 'CLIENT_TIMEOUT' });
        request.destroy();
      });
      request.on('error', (error: NodeJS.ErrnoException) => finish({ status: 'network', code: error.code ?? 'REQUEST_ERROR' }));
      request.end(body.bytes);
    });
  }

  /** A GET's status and body text; rejects when the gateway cannot be reached. */
  get(pathname: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = this.transport.get(new URL(pathname, this.baseUrl), { agent: this.agent, headers: this.options.headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.setTimeout(this.options.timeoutMs ?? 60_000, () => request.destroy(Object.assign(new Error('no answer in time'), { code: 'CLIENT_TIMEOUT' })));
      request.on('error', reject);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function codeOf(body: Buffer): { code?: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { code?: unknown };
    return typeof parsed.code === 'string' ? { code: parsed.code } : {};
  } catch {
    return {};
  }
}
