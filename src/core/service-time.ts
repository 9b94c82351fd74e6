/**
 * Predicts how long an invocation of n requests takes, from dispatch to answer, for the
 * configuration in force: a line a + b*n fitted by least squares to the most recent
 * observations, plus three standard deviations of the residuals (at most half the mean or
 * half the SLO, whichever is larger), so that the batcher plans for a slow-ish invocation
 * rather than an average one (the SLO is on p99).
 *
 * Until three observations have been seen it answers from a prior, which should be
 * pessimistic: waiting too little only costs batching efficiency, too much costs the SLO.
 *
 * The batcher asks for a prediction on every arrival while a batch fills, so the fit is
 * kept as running sums over a ring buffer (O(1) per observation) and cached until the next
 * observation, instead of refitting the whole window per question.
 */
export interface ServiceTimePrior {
  fixedMs: number;
  perItemMs: number;
}

interface Fit {
  a: number;
  b: number;
  residualStdMs: number;
}

/**
 * Standard deviations of the residuals planned for. The oldest request of a batch sent at
 * its deadline arrives at the SLO's edge, so the batch's service quantile is that request's:
 * two (97.7% one-sided) left batching policies at 98.6-99.3% within the SLO in the simulator,
 * three (99.9%) at 99.4-99.8% for the same cost (BENCHMARKS.md, simulator).
 */
const marginSd = 3;
/**
 * The margin never exceeds the larger of half the mean and this share of the SLO. Half the
 * mean alone left a fast batch (13.5 ms mean, 4.7 ms standard deviation) 1.4 deviations:
 * at light traffic nearly every batch leaves at its deadline, and 3% of the requests were
 * answered late (docs/tuning.md, "A batch's margin at light traffic").
 */
const marginSloShare = 0.5;
export class ServiceTimeModel {
  private readonly sizes: Float64Array;
  private readonly times: Float64Array;
  private count = 0;
  private next = 0;
  /** Running sums over the window: n, ms, n^2, n*ms, ms^2. */
  private sumN = 0;
  private sumMs = 0;
  private sumNN = 0;
  private sumNMs = 0;
  private sumMsMs = 0;
  /** Observations since the sums were last recomputed from the buffer (bounds float drift). */
  private sinceExact = 0;
  private cached: Fit | undefined | null = null;

  constructor(
    private prior: ServiceTimePrior,
    private readonly window = 200,
  ) {
    if (!(Number.isInteger(window) && window >= 3)) throw new RangeError(`Expected a window of at least 3 observations, got ${window}`);
    this.sizes = new Float64Array(window);
    this.times = new Float64Array(window);
  }

  observe(batchSize: number, serviceMs: number): void {
    if (!(batchSize > 0) || !Number.isFinite(serviceMs) || serviceMs < 0) return;
    if (this.count === this.window) this.add(this.sizes[this.next]!, this.times[this.next]!, -1);
    else this.count++;
    this.sizes[this.next] = batchSize;
    this.times[this.next] = serviceMs;
    this.next = (this.next + 1) % this.window;
    this.add(batchSize, serviceMs, 1);
    if (++this.sinceExact >= this.window) this.recomputeSums();
    this.cached = null;
  }

  /** Forget what was learnt (the configuration changed), optionally with a new prior for it. */
  reset(prior?: ServiceTimePrior): void {
    if (prior) this.prior = prior;
    this.count = 0;
    this.next = 0;
    this.recomputeSums();
    this.cached = null;
  }

  get observations(): number {
    return this.count;
  }

  /** @param sloMs the SLO the batch is planned for, which bounds the margin (without one, half the mean does) */
  predictMs(batchSize: number, sloMs = 0): number {
    if (this.cached === null) this.cached = this.fit();
    const fit = this.cached;
    if (!fit) return this.prior.fixedMs + this.prior.perItemMs * batchSize;
    const meanMs = Math.max(0, fit.a + fit.b * batchSize);
    // On a noisy machine three standard deviations can reach the SLO on their own, and then
    // every request leaves alone: the margin is capped at half the mean or half the SLO,
    // whichever is larger.
    return meanMs + Math.min(marginSd * fit.residualStdMs, Math.max(0.5 * meanMs, marginSloShare * sloMs));
  }

  private add(n: number, ms: number, sign: 1 | -1): void {
    this.sumN += sign * n;
    this.sumMs += sign * ms;
    this.sumNN += sign * n * n;
    this.sumNMs += sign * n * ms;
    this.sumMsMs += sign * ms * ms;
  }

  private recomputeSums(): void {
    this.sumN = this.sumMs = this.sumNN = this.sumNMs = this.sumMsMs = 0;
    for (let i = 0; i < this.count; i++) this.add(this.sizes[i]!, this.times[i]!, 1);
    this.sinceExact = 0;
  }

  private fit(): Fit | undefined {
    const n = this.count;
    if (n < 3) return undefined;
    const meanX = this.sumN / n;
    const meanY = this.sumMs / n;
    // Centred sums; clamped at 0 against rounding (all sizes equal gives sxx = 0 exactly in theory).
    const sxx = Math.max(0, this.sumNN - n * meanX * meanX);
    const sxy = this.sumNMs - n * meanX * meanY;
    const syy = Math.max(0, this.sumMsMs - n * meanY * meanY);
    // One batch size only: a flat line through its mean, the prior's slope beyond it.
    const b = sxx <= 1e-9 * Math.max(1, this.sumNN) ? this.prior.perItemMs : Math.max(0, sxy / sxx);
    const a = meanY - b * meanX;
    // Residuals of y = a + b x around the data: syy - 2 b sxy + b^2 sxx (a passes through the means).
    const residualSs = Math.max(0, syy - 2 * b * sxy + b * b * sxx);
    return { a, b, residualStdMs: Math.sqrt(residualSs / Math.max(1, n - 2)) };
  }
}
