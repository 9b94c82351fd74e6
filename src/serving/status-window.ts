import type { TuningConfig } from '../core/tuning-controller.js';
import type { BatchReason } from './events.js';

/**
 * Latency buckets of a window: log-spaced, 10% wide, from 1 ms to about 2 minutes (126
 * buckets). A quantile read from them is within 5% of the true one, and a window costs a
 * fixed 1 KB whatever the traffic, which is what keeps the dashboard's memory bounded.
 */
const bucketRatio = 1.1;
const firstBoundMs = 1;
const bucketCount = 128;
const logRatio = Math.log(bucketRatio);

function bucketOf(latencyMs: number): number {
  if (!(latencyMs > firstBoundMs)) return 0;
  return Math.min(bucketCount - 1, Math.ceil(Math.log(latencyMs / firstBoundMs) / logRatio));
}

/** The geometric middle of a bucket (its upper bound for the first). */
function bucketMiddleMs(bucket: number): number {
  if (bucket === 0) return firstBoundMs;
  return firstBoundMs * Math.pow(bucketRatio, bucket - 0.5);
}

export const batchReasons: readonly BatchReason[] = ['full', 'payload', 'deadline', 'max-wait', 'drain'];

/**
 * What one model did during one window of time. Reused in place when the ring comes round
 * (`reset`), so that recording allocates nothing per request.
 */
export class StatusWindow {
  startMs = 0;
  arrivals = 0;
  /** Items answered, whatever the answer. */
  answered = 0;
  withinSlo = 0;
  /** Items answered THROTTLED: the platform kept refusing their invocation. */
  throttled = 0;
  /** Items answered with any other error. */
  failed = 0;
  readonly latencyCounts = new Uint32Array(bucketCount);
  invocations = 0;
  warmups = 0;
  coldStarts = 0;
  /** Invocations the platform refused with 429 (retried; an item fails only after the last retry). */
  throttledInvocations = 0;
  failedInvocations = 0;
  /** Everything billed in the window, warm-ups and failed invocations included. */
  costUsd = 0;
  /** The per-request estimate (one request per invocation) for the items answered. */
  baselineCostUsd = 0;
  readonly batches = new Map<BatchReason, { count: number; items: number }>(batchReasons.map((r) => [r, { count: 0, items: 0 }]));
  /** In force when the window last saw an event (or when it opened). */
  config: TuningConfig = { memoryMb: 0, batchSize: 0, processes: 0 };

  reset(startMs: number, config: TuningConfig): void {
    this.startMs = startMs;
    this.arrivals = this.answered = this.withinSlo = this.throttled = this.failed = 0;
    this.latencyCounts.fill(0);
    this.invocations = this.warmups = this.coldStarts = this.throttledInvocations = this.failedInvocations = 0;
    this.costUsd = this.baselineCostUsd = 0;
    for (const tally of this.batches.values()) tally.count = tally.items = 0;
    this.config = config;
  }

  recordLatency(latencyMs: number): void {
    this.latencyCounts[bucketOf(latencyMs)]!++;
  }

  /** The q-quantile of the latencies answered in the window (undefined with none). */
  latencyQuantileMs(q: number): number | undefined {
    let total = 0;
    for (const count of this.latencyCounts) total += count;
    if (total === 0) return undefined;
    // The same rank rule as a nearest-rank quantile: the smallest value with rank >= q * n.
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      seen += this.latencyCounts[bucket]!;
      if (seen >= rank) return bucketMiddleMs(bucket);
    }
    return bucketMiddleMs(bucketCount - 1);
  }
}
