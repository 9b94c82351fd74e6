import type { InvocationRecord, ServingObserver } from '../serving/events.js';
import { round2 } from './round.js';

/** Per batch size: what the gateway saw an invocation take against what the platform billed. */
export interface BatchSizeTiming {
  batchSize: number;
  invocations: number;
  /** Dispatch to answer on the gateway's clock, mean. */
  serviceMs: number;
  /** The handler's duration as the platform reported it (what Lambda bills), mean. */
  handlerMs: number;
}

/** What a run's invocations say about the platform's terms, for the simulator to be checked against. */
export interface InvocationSummary {
  /** Billed cost of everything after the first arrival (the initial warm-up excluded, re-warm-ups kept). */
  costUsd: number;
  invocations: number;
  meanBatchSize: number;
  coldStarts: number;
  meanInitMs: number | null;
  /** serviceMs - handlerMs over warm traffic invocations, fitted as fixed + per item (least squares). */
  overheadMs: { fixedMs: number; perItemMs: number } | null;
  byBatchSize: BatchSizeTiming[];
}

/**
 * Listens to serving's invocations as /metrics does, live and simulated alike, and keeps
 * what separates the terms of the simulator's model: the gateway-observed service time,
 * the billed handler duration and the INIT time of each invocation. Everything before the
 * first arrival is the initial warm-up (`ferry serve` warms up before it listens).
 */
export class InvocationRecorder implements ServingObserver {
  private started = false;
  private readonly records: InvocationRecord[] = [];

  onArrivals(): void {
    this.started = true;
  }

  onInvocation(record: InvocationRecord): void {
    if (this.started) this.records.push(record);
  }

  summary(): InvocationSummary {
    const traffic = this.records.filter((r) => !r.warmup);
    const warm = traffic.filter((r) => r.outcome === 'ok' && r.billing && r.billing.initDurationMs === undefined);
    const cold = this.records.filter((r) => r.billing?.initDurationMs !== undefined);
    const groups = new Map<number, InvocationRecord[]>();
    for (const r of warm) groups.set(r.batchSize, [...(groups.get(r.batchSize) ?? []), r]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const byBatchSize = [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([batchSize, rs]) => ({
      batchSize, invocations: rs.length,
      serviceMs: round2(mean(rs.map((r) => r.serviceMs))), handlerMs: round2(mean(rs.map((r) => r.billing!.durationMs))),
    }));
    return {
      costUsd: this.records.reduce((sum, r) => sum + (r.billing?.costUsd ?? 0), 0),
      invocations: traffic.length,
      meanBatchSize: traffic.length > 0 ? round2(mean(traffic.map((r) => r.batchSize))) : 0,
      coldStarts: cold.length,
      meanInitMs: cold.length > 0 ? round2(mean(cold.map((r) => r.billing!.initDurationMs!))) : null,
      overheadMs: fitLine(warm.map((r) => [r.batchSize, r.serviceMs - r.billing!.durationMs])),
      byBatchSize,
    };
  }
}

function fitLine(points: Array<[number, number]>): { fixedMs: number; perItemMs: number } | null {
  if (points.length === 0) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  // One batch size only: the overhead is all fixed as far as this run can tell.
  const perItemMs = sxx > 0 ? points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0) / sxx : 0;
  return { fixedMs: round2(my - perItemMs * mx), perItemMs: round2(perItemMs) };
}

