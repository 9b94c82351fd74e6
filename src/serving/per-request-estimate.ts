import { billedDurationMs, invocationCostUsd } from '../core/billing.js';
import type { LatencyModel } from '../core/latency-model.js';

/** What ferry is compared with: one request per invocation, one process of one thread, at 3008 MB. */
export const perRequestConfig = { memoryMb: 3008, batchSize: 1, processes: 1, threadsPerProcess: 1 } as const;

/** How quickly the scale follows a change of host speed: each invocation weighs 1%, so about the last 100 count. */
const decay = 0.99;

/**
 * An estimate of what serving every request in an invocation of its own would have cost:
 * the profile's median handler time at batch 1, 1 process, 1 thread, 3008 MB, scaled by
 * how much slower or faster this host measures than the profile for the configurations
 * actually served (measured handler time over the profile's prediction, averaged over the
 * last hundred or so warm invocations), billed as Lambda bills it. It is an estimate from
 * the profile, not a measurement: nothing ran at that configuration.
 */
export class PerRequestEstimate {
  private readonly profileMs: number;
  private measuredMs = 0;
  private predictedMs = 0;

  constructor(private readonly latency: LatencyModel) {
    const c = perRequestConfig;
    this.profileMs = latency.forMemory(c.batchSize, c.processes, c.threadsPerProcess, c.memoryMb).p50Ms;
  }

  /** One warm invocation of `batchSize` items that took `handlerMs` (what Lambda billed, or the gateway measured). */
  observe(batchSize: number, config: { memoryMb: number; processes: number; threadsPerProcess: number }, handlerMs: number): void {
    let predictedMs: number;
    try {
      predictedMs = this.latency.forMemory(batchSize, config.processes, config.threadsPerProcess, config.memoryMb).p50Ms;
    } catch {
      return; // A configuration the profile cannot speak for tells nothing about the host's speed.
    }
    if (!(predictedMs > 0 && handlerMs >= 0)) return;
    this.measuredMs = this.measuredMs * decay + handlerMs;
    this.predictedMs = this.predictedMs * decay + predictedMs;
  }

  /** Measured over predicted handler time (1 until an invocation was measured). */
  get scale(): number {
    return this.predictedMs > 0 ? this.measuredMs / this.predictedMs : 1;
  }

  /** The estimated handler time of one request at the per-request configuration. */
  get serviceMs(): number {
    return this.profileMs * this.scale;
  }

  get costUsdPerRequest(): number {
    return invocationCostUsd(billedDurationMs(this.serviceMs), perRequestConfig.memoryMb);
  }
}
