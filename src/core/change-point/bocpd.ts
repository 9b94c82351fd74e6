import { logCount, type ChangePointDetector, type ChangePointResult } from './detector.js';
import { logGamma } from './log-gamma.js';

/**
 * Bayesian online change-point detection (Adams & MacKay 2007, "Bayesian Online
 * Changepoint Detection") on x = log(count + 1).
 *
 * Model: the series is a sequence of runs; a new run starts before each interval with a
 * constant hazard H. Within a run x is Normal with unknown mean and precision under a
 * Normal-Gamma prior, so the posterior predictive of the next x is a Student-t. Counts are
 * modelled on the log scale because real arrivals are over-dispersed: a Poisson-Gamma model
 * on raw counts explains every burst with a new run and over-segments.
 *
 * Outliers: any one observation is an outlier with probability `outlierProbability`, spread
 * uniformly over a width of 10 on the log scale, so a run predicts x with
 * (1 - eps) t(x) + eps / 10. Without this a single empty interval at 50 req/s (28 standard
 * deviations below a Poisson run on the log scale) costs the long run a factor e^-392, and a
 * new run starting at the outlier wins: a false change. With it the outlier costs at most
 * about log(eps / 10), the same as one change, while a real shift costs the old run that at
 * every interval. A run's statistics skip the observations it finds more likely outliers.
 *
 * State: P(run length = l | x so far) for l = 1..maxRunLength, where a run of length l
 * consists of the last l observations (the newest observation may open a run of length 1,
 * judged by the prior predictive). Runs longer than maxRunLength are merged into the last
 * bin, which keeps the statistics of the run one shorter (about the last maxRunLength
 * observations, a sliding window): O(maxRunLength) per update however long the series.
 *
 * Decision: a change is declared when the posterior probability that the current run holds
 * at least minRunLength observations and started after the last declared change (more than
 * `separation` intervals after its estimated start; after the stream's first interval if
 * none) exceeds `threshold`. The change starts at the most probable such run length. Runs
 * merged into the last bin (maxRunLength or longer) count as "no recent change". Why not
 * "the MAP run length drops": one outlier makes the MAP fall to 1 for an interval or two (its
 * own new run) before the long run wins back, and in a new regime the MAP flickers between
 * neighbouring short lengths; requiring minRunLength observations of consistent evidence
 * ignores the outlier, and a posterior probability is a threshold that means the same at
 * every rate. The separation keeps one change from being declared twice as its estimated
 * start shifts by an interval or two while evidence comes in.
 */
export interface BocpdOptions {
  /** Probability of a change before any interval: 1 / expected run length. @default 1/10000 */
  hazard: number;
  /** Run lengths kept; longer runs share the last bin. @default 300 */
  maxRunLength: number;
  /** Prior mean of log(count + 1); undefined: the first observation after a reset. @default undefined */
  priorMean: number | undefined;
  /** Prior pseudo-observations for the mean. @default 0.1 */
  priorKappa: number;
  /** Gamma shape of the precision prior (2 alpha = the prior predictive's degrees of freedom). @default 1 */
  priorAlpha: number;
  /** Gamma rate of the precision prior: beta / alpha is the prior guess of the variance of log counts. @default 0.1 */
  priorBeta: number;
  /** Probability that an observation is an outlier (uniform over a width of 10 in log(count + 1)). @default 0.001 */
  outlierProbability: number;
  /** Observations the new run must hold before its change can be declared. @default 3 */
  minRunLength: number;
  /** A change must start more than this many intervals after the last declared one. @default 20 */
  separation: number;
  /** Posterior probability of a recent change that declares it. @default 0.9 */
  threshold: number;
}

export const defaultBocpdOptions: BocpdOptions = {
  hazard: 1 / 10_000,
  maxRunLength: 300,
  priorMean: undefined,
  priorKappa: 0.1,
  priorAlpha: 1,
  priorBeta: 0.1,
  outlierProbability: 0.001,
  minRunLength: 3,
  separation: 20,
  threshold: 0.9,
};

/** The outliers' density on the log(count + 1) scale: uniform over a width of 10 (up to e^10 = 22,000 per interval). */
const outlierDensity = 1 / 10;

interface RunArrays {
  probability: Float64Array;
  /** Posterior mean of the run's x. */
  mean: Float64Array;
  /** Posterior Gamma rate of the run's precision. */
  beta: Float64Array;
  /** Observations in the run's statistics (its length minus the outliers it skipped). */
  seen: Float64Array;
}

export class Bocpd implements ChangePointDetector {
  readonly options: BocpdOptions;
  private readonly maxLength: number;
  // Bin l (1..maxLength) holds the run of length l. Index 0 is unused.
  private runs: RunArrays;
  private next: RunArrays;
  private readonly logPredictive: Float64Array;
  /** log((1 - eps) t(x)) of each run for the current x. */
  private readonly logInlierPredictive: Float64Array;
  // Student-t predictive constants after n observations (kappa and alpha depend on n only):
  // log t = logNorm[n] - 0.5 log(beta) - (alpha[n] + 1/2) log(1 + kernelScale[n] (x - mean)^2 / beta).
  private readonly alpha: Float64Array;
  private readonly kappa: Float64Array;
  private readonly logNorm: Float64Array;
  private readonly kernelScale: Float64Array;
  private readonly logInlier: number;
  private readonly logOutlier: number;
  private active = 0;
  private index = -1;
  private priorMean = 0;
  private lastChangeIndex: number | undefined;

  constructor(options: Partial<BocpdOptions> = {}) {
    this.options = { ...defaultBocpdOptions, ...options };
    const o = this.options;
    if (!(o.hazard > 0 && o.hazard < 1)) throw new RangeError(`Expected hazard in (0, 1), got ${o.hazard}`);
    if (!Number.isInteger(o.maxRunLength) || o.maxRunLength < 2) throw new RangeError(`Expected maxRunLength to be an integer of 2 or more, got ${o.maxRunLength}`);
    if (!(o.priorKappa > 0 && o.priorAlpha > 0 && o.priorBeta > 0)) throw new RangeError('Expected priorKappa, priorAlpha and priorBeta > 0');
    if (!(o.outlierProbability >= 0 && o.outlierProbability < 1)) throw new RangeError(`Expected outlierProbability in [0, 1), got ${o.outlierProbability}`);
    if (!(Number.isInteger(o.minRunLength) && o.minRunLength >= 1 && o.minRunLength < o.maxRunLength)) {
      throw new RangeError(`Expected minRunLength to be an integer in 1..maxRunLength - 1, got ${o.minRunLength}`);
    }
    if (!Number.isInteger(o.separation) || o.separation < 0) throw new RangeError(`Expected separation to be an integer of 0 or more, got ${o.separation}`);
    if (!(o.threshold > 0 && o.threshold < 1)) throw new RangeError(`Expected threshold in (0, 1), got ${o.threshold}`);
    const size = o.maxRunLength + 1;
    this.maxLength = o.maxRunLength;
    const arrays = (): RunArrays => ({ probability: new Float64Array(size), mean: new Float64Array(size), beta: new Float64Array(size), seen: new Float64Array(size) });
    this.runs = arrays();
    this.next = arrays();
    this.logPredictive = new Float64Array(size);
    this.logInlierPredictive = new Float64Array(size);
    this.alpha = new Float64Array(size);
    this.kappa = new Float64Array(size);
    this.logNorm = new Float64Array(size);
    this.kernelScale = new Float64Array(size);
    for (let n = 0; n < size; n++) {
      const kappa = o.priorKappa + n;
      const alpha = o.priorAlpha + n / 2;
      this.kappa[n] = kappa;
      this.alpha[n] = alpha;
      this.logNorm[n] = logGamma(alpha + 0.5) - logGamma(alpha) - 0.5 * Math.log(2 * Math.PI * (kappa + 1) / kappa);
      this.kernelScale[n] = kappa / (2 * (kappa + 1));
    }
    this.logInlier = Math.log1p(-o.outlierProbability);
    this.logOutlier = Math.log(o.outlierProbability * outlierDensity);
  }

  reset(): void {
    this.active = 0;
    this.index = -1;
    this.lastChangeIndex = undefined;
  }

  update(count: number): ChangePointResult {
    const x = logCount(count);
    this.index += 1;
    const o = this.options;
    if (this.active === 0) {
      this.priorMean = o.priorMean ?? x;
      this.runs.probability[1] = 1;
      this.observe(this.runs, 1, this.priorMean, o.priorBeta, 0, x);
      this.active = 1;
      return { changed: false, index: this.index, score: 0 };
    }

    // Log predictive of x under each run (inlier or outlier) and under the prior (a new run).
    const { runs, logPredictive, logInlierPredictive } = this;
    const n = this.active;
    const priorLog = this.studentT(0, this.priorMean, o.priorBeta, x);
    let maxLog = priorLog;
    for (let l = 1; l <= n; l++) {
      const inlier = this.logInlier + this.studentT(runs.seen[l]!, runs.mean[l]!, runs.beta[l]!, x);
      const value = logAddExp(inlier, this.logOutlier);
      logInlierPredictive[l] = inlier;
      logPredictive[l] = value;
      if (value > maxLog) maxLog = value;
    }

    // Growth: run l -> l + 1 (the last bin absorbs the one below it); change: a run of length 1.
    const next = this.next;
    const grow = 1 - o.hazard;
    const top = Math.min(n + 1, this.maxLength);
    next.probability.fill(0, 0, top + 1);
    for (let l = 1; l <= n; l++) {
      const target = Math.min(l + 1, this.maxLength);
      next.probability[target] = next.probability[target]! + runs.probability[l]! * grow * Math.exp(logPredictive[l]! - maxLog);
      if (l + 1 > this.maxLength) continue;
      const seen = runs.seen[l]!;
      if (logInlierPredictive[l]! >= this.logOutlier) {
        this.observe(next, l + 1, runs.mean[l]!, runs.beta[l]!, seen, x);
      } else {
        next.mean[l + 1] = runs.mean[l]!;
        next.beta[l + 1] = runs.beta[l]!;
        next.seen[l + 1] = seen;
      }
    }
    next.probability[1] = o.hazard * Math.exp(priorLog - maxLog);
    this.observe(next, 1, this.priorMean, o.priorBeta, 0, x);
    let total = 0;
    for (let l = 1; l <= top; l++) total += next.probability[l]!;
    for (let l = 1; l <= top; l++) next.probability[l] = next.probability[l]! / total;
    [this.runs, this.next] = [next, runs];
    this.active = top;
    return this.decide();
  }

  /** The run-length posterior after the last update, P(run length = l) at [l - 1] (a copy). */
  runLengthPosterior(): number[] {
    return Array.from(this.runs.probability.subarray(1, this.active + 1));
  }

  private decide(): ChangePointResult {
    const o = this.options;
    // Runs that count: at least minRunLength long, starting after the stream's first interval
    // and well after the last declared change, and not merged into the last bin.
    const earliest = this.lastChangeIndex === undefined ? 1 : this.lastChangeIndex + o.separation + 1;
    const last = Math.min(this.active, this.maxLength - 1, this.index - earliest + 1);
    let mass = 0;
    let best = 0;
    let bestLength = 0;
    for (let l = o.minRunLength; l <= last; l++) {
      const p = this.runs.probability[l]!;
      mass += p;
      if (p > best) {
        best = p;
        bestLength = l;
      }
    }
    if (mass <= o.threshold) return { changed: false, index: this.index, score: mass };
    const changeIndex = this.index - bestLength + 1;
    this.lastChangeIndex = changeIndex;
    return { changed: true, index: this.index, changeIndex, score: mass };
  }

  /** log Student-t predictive of x for a run with `seen` observations, posterior mean and beta. */
  private studentT(seen: number, mean: number, beta: number, x: number): number {
    const d = x - mean;
    return this.logNorm[seen]! - 0.5 * Math.log(beta) - (this.alpha[seen]! + 0.5) * Math.log1p((this.kernelScale[seen]! * d * d) / beta);
  }

  /** Normal-Gamma update by one observation x of a run with `seen` observations, into bin `bin` of `into`. */
  private observe(into: RunArrays, bin: number, mean: number, beta: number, seen: number, x: number): void {
    const kappa = this.kappa[seen]!;
    const d = x - mean;
    into.mean[bin] = (kappa * mean + x) / (kappa + 1);
    into.beta[bin] = beta + (kappa * d * d) / (2 * (kappa + 1));
    into.seen[bin] = seen + 1;
  }
}

function logAddExp(a: number, b: number): number {
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}
