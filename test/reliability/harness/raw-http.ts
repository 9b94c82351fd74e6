import net from 'node:net';

/** One HTTP/1.1 answer as read off the socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body as JSON, when it is. */
  json?: { error?: string; code?: string; [key: string]: unknown };
}

export interface Exchange {
  responses: RawResponse[];
  /** The server closed the connection (before the wait ended). */
  closedByServer: boolean;
}

/** A step of a client's conversation: bytes to write, or a pause. */
export type Step = string | Buffer | { pauseMs: number };

/**
 * Writes `steps` on one connection and reads answers until `expected` of them came, the
 * server closed, or `waitMs` passed. `heads[i]` says answer i answers a HEAD (no body).
 */
export function exchange(port: number, steps: Step[], options: { expected: number; waitMs?: number; heads?: boolean[] }): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses, closedByServer });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 30_000);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buffer.subarray(0, end).toString('latin1');
        const lines = head.split('\r\n');
        const status = Number(lines[0]!.split(' ')[1]);
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        // Interim answers (100 Continue) carry no body and are not counted.
        const isHead = options.heads?.[responses.length] === true;
        const length = status < 200 || isHead ? 0 : Number(headers['content-length'] ?? 0);
        if (buffer.length < end + 4 + length) break;
        const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
        buffer = buffer.subarray(end + 4 + length);
        if (status < 200) continue;
        let json: RawResponse['json'];
        try {
          json = JSON.parse(body) as RawResponse['json'];
        } catch {
          json = undefined;
        }
        responses.push({ status, headers, body, ...(json === undefined ? {} : { json }) });
        if (responses.length >= options.expected) finish(false);
      }
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      for (const step of steps) {
        if (done) return;
        if (typeof step === 'object' && !Buffer.isBuffer(step)) await new Promise((r) => setTimeout(r, step.pauseMs));
        else socket.write(step);
      }
    });
  });
}

export interface RequestSpec {
  method?: string;
  target: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Leave Content-Length out (it is added for a body otherwise). */
  noLength?: boolean;
}

/** The bytes of one request: Host added, Content-Length from the body unless told otherwise. */
export function requestBytes(spec: RequestSpec): Buffer {
  const body = spec.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body);
  const headers: Record<string, string> = { host: '127.0.0.1', ...spec.headers };
  if (spec.body !== undefined && !spec.noLength && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
    headers['content-length'] = String(body.length);
  }
  const head = `${spec.method ?? 'GET'} ${spec.target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
