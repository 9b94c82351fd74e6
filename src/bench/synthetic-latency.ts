import { normalCdf } from '../core/bayes-opt-acquisition.js';
import type { Config } from '../core/config-space.js';
import type { LatencyQuantiles } from '../core/latency-model.js';
import { vcpusForMemory } from '../core/pricing.js';

/**
 * A latency model written down rather than measured: what a model of another size, with
 * other overheads and another parallel efficiency, would take per batch. The tuner
 * benchmark's surface families (surface-families.ts) are built from these, so that the
 * optimizer is judged on shapes other than the two shipped profiles. Assumptions:
 * 1. A batch of n items on p single-threaded worker processes sharing s vCPUs keeps
 *    k = min(p, max(1, n)) workers busy. Work at 1 vCPU: a fixed part `fixedMs` (request
 *    decoding, framework entry; serial) and `perItemMs * n^batchExponent` (exponent < 1:
 *    batching amortizes part of the per-item time), of which `parallelFraction` spreads
 *    over the k workers (Amdahl) and the rest stays serial.
 * 2. A worker runs at most one vCPU: the serial part at min(1, s), each busy worker at
 *    min(1, s / k). Every extra busy worker adds `processOverheadMs` (scatter, gather).
 *    Besides CPU work, each item waits `ioMsPerItem` on I/O that uses no CPU (fetching its
 *    input, a downstream call): not throttled by the share, and overlapped across the busy
 *    workers. This is what makes small memory sizes and several processes per vCPU pay.
 * 3. Warm p99 = p50 * `p99OverP50` + `throttleTail` * 100 ms * (1 - min(1, s / k)): at a
 *    fractional share, a request that lands after its CFS period's quota is spent waits
 *    for the next period (the shipped profiles measure up to 70 ms of this at 0.25 vCPU).
 * 4. Cold starts: a fraction `coldPerInvocation` of invocations first loads the model,
 *    `initMs` at 1 vCPU per process, all processes loading at once (so at min(1, s / p)).
 *    The p99 is then the 99th percentile of the mixture of warm latency (log-normal through
 *    the warm p50 and p99) and warm latency plus init; init time is billed (since 2025-08).
 * 5. Memory: a configuration with less than `runtimeMb + memoryPerProcessMb * p` runs out
 *    of memory (surface-families.ts marks it as failing every request).
 */
export interface SyntheticModelParams {
  perItemMs: number;
  ioMsPerItem: number;
  fixedMs: number;
  batchExponent: number;
  parallelFraction: number;
  processOverheadMs: number;
  p99OverP50: number;
  throttleTail: number;
  coldPerInvocation: number;
  initMs: number;
  memoryPerProcessMb: number;
}

/** The function's runtime and gateway client, besides the model's worker processes. */
export const runtimeMb = 128;
/** Linux CFS's default quota period. */
const cfsPeriodMs = 100;
const z99 = 2.326;

export class SyntheticLatency {
  constructor(readonly params: SyntheticModelParams) {
    const p = params;
    const positive = [p.perItemMs, p.batchExponent, p.p99OverP50, p.memoryPerProcessMb];
    const nonNegative = [p.ioMsPerItem, p.fixedMs, p.processOverheadMs, p.throttleTail, p.coldPerInvocation, p.initMs];
    if (!positive.every((v) => v > 0) || !nonNegative.every((v) => v >= 0) || !(p.parallelFraction >= 0 && p.parallelFraction <= 1) || !(p.p99OverP50 >= 1) || !(p.coldPerInvocation < 1)) {
      throw new RangeError(`Expected positive times, a parallel fraction in [0, 1], p99OverP50 >= 1 and a cold fraction below 1, got ${JSON.stringify(p)}`);
    }
  }

  /** Assumptions 1-4: p50 and p99 of a batch of `batch` items (fractional: a mean dispatched batch). */
  serviceMs(batch: number, processes: number, share: number): LatencyQuantiles {
    const p = this.params;
    const busy = Math.min(processes, Math.max(1, batch));
    const workerShare = Math.min(1, share / busy);
    const work = p.perItemMs * batch ** p.batchExponent;
    const serialMs = (p.fixedMs + (1 - p.parallelFraction) * work) / Math.min(1, share);
    const parallelMs = (p.parallelFraction * work) / busy / workerShare;
    const ioMs = (p.ioMsPerItem * batch) / busy;
    const p50Ms = serialMs + parallelMs + ioMs + p.processOverheadMs * (busy - 1);
    const warmP99Ms = p50Ms * p.p99OverP50 + p.throttleTail * cfsPeriodMs * (1 - workerShare);
    return { p50Ms, p99Ms: this.withColdStarts(p50Ms, warmP99Ms, this.coldInitMs(processes, share)) };
  }

  /** Assumption 4: one cold start's init time at this configuration. */
  coldInitMs(processes: number, share: number): number {
    return this.params.initMs / Math.min(1, share / processes);
  }

  /** Assumption 5. */
  fitsInMemory(config: Config): boolean {
    return config.memoryMb >= runtimeMb + this.params.memoryPerProcessMb * config.processes;
  }

  forConfig(config: Config, batch = config.batchSize): LatencyQuantiles {
    return this.serviceMs(batch, config.processes, vcpusForMemory(config.memoryMb));
  }

  /** The 99th percentile of (1 - c) warm + c (warm + init), by bisection on its CDF. */
  private withColdStarts(p50Ms: number, warmP99Ms: number, initMs: number): number {
    const c = this.params.coldPerInvocation;
    if (c === 0 || initMs === 0) return warmP99Ms;
    const sigma = Math.max(1e-3, Math.log(warmP99Ms / p50Ms) / z99);
    const warmCdf = (x: number) => (x > 0 ? normalCdf(Math.log(x / p50Ms) / sigma) : 0);
    const cdf = (x: number) => (1 - c) * warmCdf(x) + c * warmCdf(x - initMs);
    // The mixture's p99 lies between the warm one (c = 0) and init plus it (c = 1).
    let [low, high] = [warmP99Ms, warmP99Ms + initMs];
    for (let i = 0; i < 60 && high - low > 1e-6 * high; i++) {
      const mid = (low + high) / 2;
      if (cdf(mid) >= 0.99) high = mid;
      else low = mid;
    }
    return high;
  }
}
