import { quantile } from '../core/stats.js';
import type { GatewayCounters } from './metrics-scrape.js';
import type { ReplayResult } from './replay.js';

export interface LatencySummary {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** What `ferry loadgen --json` prints. */
export interface LoadgenReport {
  model: string;
  url: string;
  trace: string;
  timeScale: number;
  /** Requests the schedule held (after --start-s and --duration-s). */
  scheduled: number;
  sent: number;
  /** Due while --max-outstanding requests were in flight: never sent (client side). */
  dropped: number;
  /** Answers by HTTP status ('network': no answer at all). */
  byStatus: Record<string, number>;
  /** Error answers by the `code` of their body (or the socket error's code). */
  errorsByCode: Record<string, number>;
  /** Of the 200 answers; undefined when there were none. */
  latency?: LatencySummary;
  /** The SLO the shares below are against (from the gateway's model metadata or --slo-ms). */
  sloMs?: number;
  /** Share of the 200 answers within the SLO. */
  sloAttainment?: number;
  /** Share of all sent requests answered 200 within the SLO. */
  goodputShare?: number;
  /** Requests per second the schedule offered. */
  offeredRps?: number;
  /** 200 answers per second of replay (start to last answer). */
  achievedRps: number;
  /** Start to last request sent, and to last answer (s). */
  sendSpanS: number;
  durationS: number;
  /** How late requests left against their due time: the load generator's own error. */
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  /** What the gateway billed and did for this run (/metrics after minus before), if scraped. */
  gateway?: GatewayCounters & {
    meanBatchSize?: number;
    /** Billed cost per 1,000 requests answered 200. */
    costPer1kUsd?: number;
  };
}

export interface ReportContext {
  model: string;
  url: string;
  trace: string;
  timeScale: number;
  offeredRps?: number;
  sloMs?: number;
  counters?: GatewayCounters;
}

/** Summarizes one replay (or several pooled with poolReplays). */
export function summarize(result: ReplayResult, context: ReportContext): LoadgenReport {
  const byStatus: Record<string, number> = {};
  const errorsByCode: Record<string, number> = {};
  const okMs: number[] = [];
  for (const answer of result.answers) {
    const status = String(answer.status);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (answer.status === 200) okMs.push(answer.latencyMs);
    else {
      const code = answer.code ?? `HTTP_${status}`;
      errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
    }
  }
  const ok = okMs.length;
  const withinSlo = context.sloMs === undefined ? 0 : okMs.filter((ms) => ms <= context.sloMs!).length;
  const counters = context.counters;
  return {
    model: context.model,
    url: context.url,
    trace: context.trace,
    timeScale: context.timeScale,
    scheduled: result.scheduled,
    sent: result.sent,
    dropped: result.dropped,
    byStatus,
    errorsByCode,
    ...(ok > 0 ? { latency: latencySummary(okMs) } : {}),
    ...(context.sloMs !== undefined ? { sloMs: context.sloMs } : {}),
    ...(context.sloMs !== undefined && ok > 0 ? { sloAttainment: round4(withinSlo / ok) } : {}),
    ...(context.sloMs !== undefined && result.sent > 0 ? { goodputShare: round4(withinSlo / result.sent) } : {}),
    ...(context.offeredRps !== undefined ? { offeredRps: round2(context.offeredRps) } : {}),
    achievedRps: result.wallMs > 0 ? round2((ok * 1000) / result.wallMs) : 0,
    sendSpanS: round3(result.lastSendMs / 1000),
    durationS: round3(result.wallMs / 1000),
    sendLagP99Ms: result.sendLagMs.length > 0 ? round2(quantile(result.sendLagMs, 0.99)) : 0,
    sendLagMaxMs: round2(maxOf(result.sendLagMs)),
    ...(counters ? {
      gateway: {
        ...counters,
        ...(counters.batchSizeCount > 0 ? { meanBatchSize: round2(counters.batchSizeSum / counters.batchSizeCount) } : {}),
        ...(ok > 0 ? { costPer1kUsd: (counters.costUsd / ok) * 1000 } : {}),
      },
    } : {}),
  };
}

/** Several replays as one (rounds of a benchmark): counts add, latencies pool, durations add. */
export function poolReplays(results: readonly ReplayResult[]): ReplayResult {
  return {
    scheduled: results.reduce((n, r) => n + r.scheduled, 0),
    sent: results.reduce((n, r) => n + r.sent, 0),
    dropped: results.reduce((n, r) => n + r.dropped, 0),
    answers: results.flatMap((r) => r.answers),
    sendLagMs: results.flatMap((r) => r.sendLagMs),
    lastSendMs: results.reduce((n, r) => n + r.lastSendMs, 0),
    wallMs: results.reduce((n, r) => n + r.wallMs, 0),
  };
}

export function latencySummary(samples: readonly number[]): LatencySummary {
  return {
    p50Ms: round2(quantile(samples, 0.5)),
    p90Ms: round2(quantile(samples, 0.9)),
    p99Ms: round2(quantile(samples, 0.99)),
    maxMs: round2(maxOf(samples)),
  };
}

/** The largest value, 0 for none (a loop: spreading 100,000 values into Math.max overflows the stack). */
function maxOf(values: readonly number[]): number {
  let max = values.length > 0 ? -Infinity : 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

const round2 = (v: number) => Math.round(v * 100) / 100;
const round3 = (v: number) => Math.round(v * 1000) / 1000;
const round4 = (v: number) => Math.round(v * 10_000) / 10_000;
