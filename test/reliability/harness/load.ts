import http from 'node:http';
import { images } from './protocol.js';

/**
 * An open-loop load generator: requests leave on a fixed schedule whatever the answers do
 * (a closed loop would slow down with the gateway and hide overload). Each request carries
 * its own id, which the OIP answer must echo: an answer with another id would be someone
 * else's, a duplicate.
 */
export interface LoadOptions {
  url: string;
  ratePerS: number;
  durationMs: number;
  token?: string;
  /** Which sample image the items carry. @default 'house' */
  image?: keyof typeof images;
  /** Items per request. @default 1 */
  items?: number;
  /** A client gives up after this: such a request counts as lost. @default 60000 */
  clientTimeoutMs?: number;
  /** Every answer must come within this of sending (deadline plus the scenario's margin). */
  boundMs: number;
  /** Set `stopped` to end the schedule early (for load that runs as long as something else). */
  stop?: { stopped: boolean };
}

export interface LoadTally {
  requests: number;
  /** Requests that got an HTTP answer (any status). */
  answered: number;
  /** Answers by code (`ok` for 200). */
  byCode: Record<string, number>;
  /** Requests without an answer: the client gave up or the connection broke. */
  lost: number;
  /** Answers carrying another request's id. */
  duplicated: number;
  latenciesMs: number[];
  /** Answers later than `boundMs`. */
  overBound: number;
  /** 503 QUEUE_FULL answers without a Retry-After header. */
  retryAfterMissing: number;
  /** Transport failures, by message, for the report. */
  failures: Record<string, number>;
}

let nextRequestId = 1;

export function emptyTally(): LoadTally {
  return { requests: 0, answered: 0, byCode: {}, lost: 0, duplicated: 0, latenciesMs: [], overBound: 0, retryAfterMissing: 0, failures: {} };
}

export function mergeTallies(tallies: LoadTally[]): LoadTally {
  const merged = emptyTally();
  for (const t of tallies) {
    merged.requests += t.requests;
    merged.answered += t.answered;
    merged.lost += t.lost;
    merged.duplicated += t.duplicated;
    merged.overBound += t.overBound;
    merged.retryAfterMissing += t.retryAfterMissing;
    for (const l of t.latenciesMs) merged.latenciesMs.push(l);
    for (const [k, v] of Object.entries(t.byCode)) merged.byCode[k] = (merged.byCode[k] ?? 0) + v;
    for (const [k, v] of Object.entries(t.failures)) merged.failures[k] = (merged.failures[k] ?? 0) + v;
  }
  return merged;
}

/**
 * The load's connections: keep-alive, as a real client's, and closed when the load ends,
 * so that what the gateway holds open afterwards is its own doing, not a client pool's.
 */
export function loadAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 512 });
}

interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function post(url: string, path: string, headers: Record<string, string>, body: string, agent: http.Agent, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const request = http.request(target, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error('client timeout'), { name: 'TimeoutError' })));
    request.on('error', reject);
    request.end(body);
  });
}

/** One inference request with a fresh id; resolves once it is answered or given up, recording it in `tally`. */
export async function inferOnce(options: Omit<LoadOptions, 'ratePerS' | 'durationMs'>, tally: LoadTally, agent?: http.Agent): Promise<void> {
  const id = `r${nextRequestId++}`;
  const image = images[options.image ?? 'house'];
  const count = options.items ?? 1;
  const body = JSON.stringify({ id, inputs: [{ name: 'image', shape: [count], datatype: 'BYTES', data: new Array(count).fill(image) }] });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  tally.requests++;
  const startMs = performance.now();
  const ownAgent = agent ? undefined : loadAgent();
  try {
    const response = await post(options.url, '/v2/models/mobilenetv2/infer', headers, body, agent ?? ownAgent!, options.clientTimeoutMs ?? 60_000);
    const answer = JSON.parse(response.body) as { id?: string; code?: string };
    const latencyMs = performance.now() - startMs;
    tally.answered++;
    tally.latenciesMs.push(latencyMs);
    if (latencyMs > options.boundMs) tally.overBound++;
    const code = response.status === 200 ? 'ok' : (answer.code ?? `HTTP_${response.status}`);
    tally.byCode[code] = (tally.byCode[code] ?? 0) + 1;
    if (response.status === 200 && answer.id !== id) tally.duplicated++;
    if (code === 'QUEUE_FULL' && !response.headers['retry-after']) tally.retryAfterMissing++;
  } catch (error) {
    tally.lost++;
    const message = (error as Error).name === 'TimeoutError' ? 'client timeout' : String((error as Error & { code?: string }).code ?? (error as Error).message);
    tally.failures[message] = (tally.failures[message] ?? 0) + 1;
  } finally {
    ownAgent?.destroy();
  }
}

/** Sends `ratePerS` requests per second for `durationMs`, then waits for every answer. */
export async function runLoad(options: LoadOptions): Promise<LoadTally> {
  const tally = emptyTally();
  const agent = loadAgent();
  const total = Math.round((options.ratePerS * options.durationMs) / 1000);
  const startMs = performance.now();
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - startMs) / 1000) * options.ratePerS) + 1);
      while (sent < due) {
        inFlight.push(inferOnce(options, tally, agent));
        sent++;
      }
      if (sent >= total || options.stop?.stopped) return resolve();
      setTimeout(tick, Math.max(1, Math.min(20, 1000 / options.ratePerS)));
    };
    tick();
  });
  await Promise.all(inFlight);
  agent.destroy();
  return tally;
}

export function percentileMs(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}
