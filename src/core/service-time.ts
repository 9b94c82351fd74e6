/**
 * Predicts how long an invocation of n requests takes, from dispatch to answer, for the
 * configuration in force: a line a + b*n fitted by least squares to the most recent
 * observations, plus two standard deviations of the residuals (at most half the mean), so
 * that the batcher plans for a slow-ish invocation rather than an average one (the SLO is
 * on p99).
 *
 * Until two distinct batch sizes have been seen it answers from a prior, which should be
 * pessimistic: waiting too little only costs batching efficiency, too much costs the SLO.
 */
export interface ServiceTimePrior {
  fixedMs: number;
  perItemMs: number;
}

export class ServiceTimeModel {
  private readonly samples: Array<{ n: number; ms: number }> = [];

  constructor(
    private readonly prior: ServiceTimePrior,
    private readonly window = 200,
  ) {}

  observe(batchSize: number, serviceMs: number): void {
    if (!(batchSize > 0) || !Number.isFinite(serviceMs) || serviceMs < 0) return;
    this.samples.push({ n: batchSize, ms: serviceMs });
    if (this.samples.length > this.window) this.samples.shift();
  }

  /** Forget what was learnt (the configuration changed). */
  reset(): void {
    this.samples.length = 0;
  }

  get observations(): number {
    return this.samples.length;
  }

  predictMs(batchSize: number): number {
    const fit = this.fit();
    if (!fit) return this.prior.fixedMs + this.prior.perItemMs * batchSize;
    const meanMs = Math.max(0, fit.a + fit.b * batchSize);
    // On a noisy machine two standard deviations can reach the SLO on their own, and then
    // every request leaves alone: the margin is capped at half the mean.
    return meanMs + Math.min(2 * fit.residualStdMs, 0.5 * meanMs);
  }

  private fit(): { a: number; b: number; residualStdMs: number } | undefined {
    const n = this.samples.length;
    if (n < 3) return undefined;
    const meanX = this.samples.reduce((s, p) => s + p.n, 0) / n;
    const meanY = this.samples.reduce((s, p) => s + p.ms, 0) / n;
    let sxx = 0;
    let sxy = 0;
    for (const p of this.samples) {
      sxx += (p.n - meanX) ** 2;
      sxy += (p.n - meanX) * (p.ms - meanY);
    }
    // One batch size only: a flat line through its mean, the prior's slope beyond it.
    const b = sxx === 0 ? this.prior.perItemMs : Math.max(0, sxy / sxx);
    const a = meanY - b * meanX;
    const residualVar = this.samples.reduce((s, p) => s + (p.ms - (a + b * p.n)) ** 2, 0) / Math.max(1, n - 2);
    return { a, b, residualStdMs: Math.sqrt(residualVar) };
  }
}
