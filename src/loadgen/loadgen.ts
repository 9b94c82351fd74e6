import { FerryError, type ErrorCode } from '../core/errors.js';
import { modelInfo } from '../models/catalog.js';
import { loadArrivals } from '../trace/load.js';
import { buildSchedule, offeredRate } from '../trace/schedule.js';
import { GatewayClient } from './http-client.js';
import { counterDelta, gatewayCounters, type GatewayCounters } from './metrics-scrape.js';
import { replay, type ReplayProgress, type ReplayResult } from './replay.js';
import { summarize, type LoadgenReport } from './report.js';
import { sampleBodies } from './samples.js';

export interface LoadgenOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  model: string;
  /** A trace CSV file or a generator spec (see src/trace/load.ts). */
  trace: string;
  /** @default 1 */
  timeScale?: number;
  startS?: number;
  durationS?: number;
  /** @default 2000 */
  maxOutstanding?: number;
  /** The SLO to report attainment against. @default the gateway's configured one (model metadata) */
  sloMs?: number;
  /** Bearer token, when the gateway requires one. */
  token?: string;
  /** Per-request client timeout. @default 60000 */
  timeoutMs?: number;
  onProgress?(progress: ReplayProgress): void;
}

export interface LoadgenRun {
  report: LoadgenReport;
  /** The raw replay (latencies of every answer), for pooling rounds. */
  result: ReplayResult;
  counters?: GatewayCounters;
}

/**
 * Replays a trace against a running gateway, open loop, and reports what the client saw
 * and what the gateway billed (its /metrics before and after). Fails early, with a code,
 * when the trace is unusable or the gateway does not serve the model.
 */
export async function runLoadgen(options: LoadgenOptions): Promise<LoadgenRun> {
  const base = baseUrl(options.url);
  const spec = modelInfo(options.model);
  const timeScale = options.timeScale ?? 1;
  const { arrivalsMs } = loadArrivals(options.trace);
  const schedule = buildSchedule(arrivalsMs, {
    timeScale, ...(options.startS !== undefined ? { startS: options.startS } : {}), ...(options.durationS !== undefined ? { durationS: options.durationS } : {}),
  });
  if (schedule.length === 0) {
    throw new FerryError('INVALID_ARGUMENT', `Expected ${options.trace} to hold requests after --start-s ${options.startS ?? 0}, got none`);
  }
  const bodies = sampleBodies(spec.name);
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};

  const maxOutstanding = options.maxOutstanding ?? 2000;
  const client = new GatewayClient(base, { maxSockets: maxOutstanding, headers, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  let result: ReplayResult;
  let sloMs: number | undefined;
  let before: GatewayCounters | undefined;
  let after: GatewayCounters | undefined;
  try {
    const metadata = await getJson(client, base, `v2/models/${spec.name}`);
    const servedSloMs = (metadata as { parameters?: { config?: { sloMs?: unknown } } }).parameters?.config?.sloMs;
    sloMs = options.sloMs ?? (typeof servedSloMs === 'number' ? servedSloMs : undefined);
    before = await scrape(client, spec.name);
    result = await replay({
      schedule, maxOutstanding,
      send: (index) => client.post(`v2/models/${spec.name}/classify`, bodies[index % bodies.length]!),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    after = await scrape(client, spec.name);
  } finally {
    client.close();
  }

  const counters = before && after ? counterDelta(before, after) : undefined;
  const offeredRps = offeredRate(schedule);
  const report = summarize(result, {
    model: spec.name, url: options.url, trace: options.trace, timeScale,
    ...(offeredRps !== undefined ? { offeredRps } : {}),
    ...(sloMs !== undefined ? { sloMs } : {}),
    ...(counters ? { counters } : {}),
  });
  return { report, result, ...(counters ? { counters } : {}) };
}

function baseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FerryError('INVALID_ARGUMENT', `Expected --url to be an http(s) URL like http://127.0.0.1:8080, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FerryError('INVALID_ARGUMENT', `Expected --url to be an http(s) URL, got "${text}"`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** GETs JSON; an error answer is thrown with the gateway's own code, an unreachable gateway as INVALID_ARGUMENT. */
async function getJson(client: GatewayClient, base: URL, pathname: string): Promise<unknown> {
  let answer: { status: number; text: string };
  try {
    answer = await client.get(pathname);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new FerryError('INVALID_ARGUMENT', `Could not reach the gateway at ${base.origin} (${code ?? message})`);
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    body = undefined;
  }
  if (answer.status !== 200) {
    const { code, error } = (body ?? {}) as { code?: string; error?: string };
    const known = code === 'UNKNOWN_MODEL' || code === 'UNAUTHORIZED' || code === 'NOT_FOUND';
    throw new FerryError(known ? (code as ErrorCode) : 'INVALID_ARGUMENT', `GET /${pathname} answered ${answer.status}: ${error ?? answer.text.slice(0, 200)}`);
  }
  return body;
}

/** The gateway's counters for `model`, or undefined when /metrics cannot be read (the run goes on without cost figures). */
async function scrape(client: GatewayClient, model: string): Promise<GatewayCounters | undefined> {
  try {
    const answer = await client.get('metrics');
    return answer.status === 200 ? gatewayCounters(answer.text, model) : undefined;
  } catch {
    return undefined;
  }
}
