import { vcpusForMemory } from './pricing.js';

/** One measured cell of a profile (`ferry profile` rows; src/models/profile.ts). */
export interface LatencyRow {
  batch: number;
  processes: number;
  threadsPerProcess: number;
  vcpus: number;
  p50Ms: number;
  p99Ms: number;
}

/** A batch's handler latency at one configuration: its median and its 99th percentile. */
export interface LatencyQuantiles {
  p50Ms: number;
  p99Ms: number;
}

/** Piecewise-linear interpolation of y over x (sorted), extrapolating the end segments. */
function interpolate(xs: number[], ys: number[], x: number): number {
  if (xs.length === 1) return ys[0]!;
  let i = 0;
  while (i < xs.length - 2 && x > xs[i + 1]!) i++;
  const t = (x - xs[i]!) / (xs[i + 1]! - xs[i]!);
  return ys[i]! + t * (ys[i + 1]! - ys[i]!);
}

const distinct = (values: number[]) => [...new Set(values)].sort((a, b) => a - b);
const z99 = 2.326;

/**
 * A model's handler latency (decode, preprocessing and inference: what an instance spends
 * on a batch, and what Lambda bills) at any (batch, processes, threads, vCPU share), from a
 * measured profile (`ferry profile --json`: batch 1..32 x processes 1, 2, 4 x threads 1, 2
 * x share 0.25..2 on a 2-core machine). One model for the tuner benchmark's surfaces and
 * the simulator's service times. Assumptions, all stated here:
 * 1. Threads: the rows of the measured thread count nearest to the one asked for.
 * 2. At a measured (processes, share), p50 and p99 are interpolated log-log linearly
 *    between measured batch sizes, and extrapolated from the last two beyond them (32 ->
 *    48, 64).
 * 3. Between measured shares they are interpolated linearly in 1/share (CPU-bound work
 *    takes time inversely proportional to the CPU share), extrapolated likewise below
 *    0.25. The CPU quota's tail at fractional shares (a request that lands after its
 *    period's quota is spent waits for the next period: p99 5x the median at 0.5 vCPU) is
 *    carried over as measured.
 * 4. Processes at shares <= 2 (measured): the measured rows for 1, 2 and 4 processes,
 *    linear in between (3), the 4-process row above 4 (more processes than cores only
 *    time-slice).
 * 5. Shares above 2 (not measurable on a 2-core machine): start from the 2-vCPU row with
 *    min(processes, 2) processes, and scale throughput by the extra parallelism that more
 *    cores give, min(w, share) / min(w, 2), where w = min(processes, batch) x threads is
 *    the number of busy threads. One single-threaded process gains nothing from extra
 *    cores. Fixed per-invocation overheads are assumed to scale too (they are a few ms).
 * Draws (`sampleMs`) are log-normal through a cell's p50 and p99, from the caller's seeded
 * uniform source.
 */
export class LatencyModel {
  private readonly byThreads = new Map<number, LatencyRow[]>();
  private readonly threadCounts: number[];
  private readonly shares: number[];
  private readonly processCounts: number[];
  /** By a numeric key of (share, processes, threads, batch): a simulation asks for a handful of cells millions of times. */
  private readonly cache = new Map<number, LatencyQuantiles>();

  constructor(rows: readonly LatencyRow[]) {
    if (rows.length === 0) throw new RangeError('Expected a profile with at least one row');
    for (const row of rows) {
      const group = this.byThreads.get(row.threadsPerProcess) ?? [];
      group.push(row);
      this.byThreads.set(row.threadsPerProcess, group);
    }
    this.threadCounts = distinct([...this.byThreads.keys()]);
    this.shares = distinct(rows.map((r) => r.vcpus));
    this.processCounts = distinct(rows.map((r) => r.processes));
  }

  /** At a memory size rather than a share (Lambda's 1 vCPU per 1,769 MB). */
  forMemory(batch: number, processes: number, threadsPerProcess: number, memoryMb: number): LatencyQuantiles {
    return this.serviceMs(batch, processes, vcpusForMemory(memoryMb), threadsPerProcess);
  }

  /** p50 and p99 of a batch of `batch` items on `processes` processes sharing `share` vCPUs. */
  serviceMs(batch: number, processes: number, share: number, threadsPerProcess = 1): LatencyQuantiles {
    if (!(batch > 0 && processes >= 1 && share > 0 && threadsPerProcess >= 1)) {
      throw new RangeError(`Expected a positive batch and share and processes, threads >= 1, got batch ${batch}, ${processes} processes, ${threadsPerProcess} threads, ${share} vCPUs`);
    }
    const threads = this.threadCounts.reduce((best, t) => (Math.abs(t - threadsPerProcess) < Math.abs(best - threadsPerProcess) ? t : best));
    // Exact for integer batches up to 4095, 6 processes and threads, and shares in 1e-6 steps (distinct keys otherwise compute afresh).
    const exact = Number.isInteger(batch) && batch < 4096 && processes <= 7 && threads <= 7;
    const key = exact ? ((Math.round(share * 1e6) * 8 + processes) * 8 + threads) * 4096 + batch : NaN;
    let cached = exact ? this.cache.get(key) : undefined;
    if (!cached) {
      cached = this.compute(batch, processes, share, threads);
      if (exact && this.cache.size < 100_000) this.cache.set(key, cached);
    }
    return cached;
  }

  /** A log-normal draw through the cell's p50 and p99, from a uniform draw in (0, 1). */
  sampleMs(latency: LatencyQuantiles, uniform: number): number {
    const sigma = Math.log(Math.max(1, latency.p99Ms / latency.p50Ms)) / z99;
    return latency.p50Ms * Math.exp(sigma * inverseNormal(Math.min(1 - 1e-9, Math.max(1e-9, uniform))));
  }

  private compute(batch: number, processes: number, share: number, threads: number): LatencyQuantiles {
    const maxShare = this.shares[this.shares.length - 1]!;
    if (share <= maxShare) return this.atProcesses(batch, processes, share, threads);
    // Assumption 5: beyond the measured cores, throughput scales with usable parallelism.
    const base = this.atProcesses(batch, Math.min(processes, maxShare), maxShare, threads);
    const workers = Math.min(processes, batch) * threads;
    const speedup = Math.min(workers, share) / Math.min(workers, maxShare);
    return { p50Ms: base.p50Ms / speedup, p99Ms: base.p99Ms / speedup };
  }

  /** Assumption 2: log-log over batch at a measured (processes, share). */
  private measured(batch: number, processes: number, share: number, threads: number): LatencyQuantiles {
    const rows = this.byThreads.get(threads)!.filter((r) => r.processes === processes && r.vcpus === share).sort((a, b) => a.batch - b.batch);
    if (rows.length === 0) throw new RangeError(`Profile has no rows for ${processes} processes of ${threads} thread(s) at ${share} vCPUs`);
    const xs = rows.map((r) => Math.log(r.batch));
    const at = (key: 'p50Ms' | 'p99Ms') => Math.exp(interpolate(xs, rows.map((r) => Math.log(r[key])), Math.log(batch)));
    return { p50Ms: at('p50Ms'), p99Ms: at('p99Ms') };
  }

  /**
   * Assumption 3: linear in 1/share between measured shares. Below the lowest one the
   * extrapolated line is floored at the lowest share's own time: work cannot get faster
   * with less CPU. Where the profile's two lowest shares are out of order (ocr-cls at
   * batch 1: 4.55 ms at 0.25 vCPU, 7.46 ms at 0.5; a batch whose CPU time fits in one quota
   * period runs unthrottled) the bare line falls through zero (-9.7 ms at 128 MB, which
   * made 128 MB look free to Power Tuning). A profile in order (slower with less CPU, as
   * mobilenetv2's) is above the floor and unchanged.
   */
  private atShare(batch: number, processes: number, share: number, threads: number): LatencyQuantiles {
    const xs = this.shares.map((s) => 1 / s).reverse();
    const values = this.shares.map((s) => this.measured(batch, processes, s, threads)).reverse();
    const at = (key: keyof LatencyQuantiles) => interpolate(xs, values.map((v) => v[key]), 1 / share);
    if (share >= this.shares[0]!) return { p50Ms: at('p50Ms'), p99Ms: at('p99Ms') };
    const lowest = values[values.length - 1]!;
    return { p50Ms: Math.max(at('p50Ms'), lowest.p50Ms), p99Ms: Math.max(at('p99Ms'), lowest.p99Ms) };
  }

  /** Assumption 4: measured process counts, linear in between, the largest above. */
  private atProcesses(batch: number, processes: number, share: number, threads: number): LatencyQuantiles {
    const counts = this.processCounts;
    const p = Math.min(processes, counts[counts.length - 1]!);
    const upper = counts.find((c) => c >= p)!;
    const lower = [...counts].reverse().find((c) => c <= p)!;
    const a = this.atShare(batch, lower, share, threads);
    if (upper === lower) return a;
    const b = this.atShare(batch, upper, share, threads);
    const t = (p - lower) / (upper - lower);
    return { p50Ms: a.p50Ms + t * (b.p50Ms - a.p50Ms), p99Ms: a.p99Ms + t * (b.p99Ms - a.p99Ms) };
  }
}

/** The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
