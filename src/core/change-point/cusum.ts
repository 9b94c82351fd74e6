import { logCount, type ChangePointDetector, type ChangePointResult } from './detector.js';

/**
 * Page's two-sided CUSUM on x = log(count + 1), the simple baseline next to BOCPD.
 *
 * x is standardized, z = (x - mean) / std, by a running estimate of the current regime's
 * mean and standard deviation: the first `warmUp` observations of a regime only estimate
 * them (no alarm is possible), after which every observation joins the estimate once it is
 * `lag` intervals old (so the change being detected does not leak into its own yardstick).
 * Then S+ = max(0, S+ + z - drift) and S- = max(0, S- - z - drift); an alarm is S+ or S- over
 * `threshold`. The change is estimated to start at the k that maximizes
 * (sum of z from k to now)^2 / (now - k + 1), the sum in the alarm's direction, over the
 * last `lookback` intervals of the regime: the likelihood-ratio estimate for a shift of
 * unknown size from the known mean. (The textbook "just after the sum was last 0" is biased
 * early: the sum is often already a little above 0 when the change comes.) After an alarm
 * the detector starts a new regime with a fresh warm-up from the next observation on: the
 * estimated start can be a few intervals early, and old-regime observations in the new
 * yardstick cause alarms.
 */
export interface CusumOptions {
  /** Observations that estimate a regime's mean and std before alarms are possible. @default 60 */
  warmUp: number;
  /** k, in standard deviations: half the smallest shift worth detecting quickly. @default 0.5 */
  drift: number;
  /** h, in standard deviations. @default 10 */
  threshold: number;
  /** Floor on the std of log(count + 1) (a warm-up of identical counts has std 0). @default 0.05 */
  minStd: number;
  /** Intervals before an observation joins the running mean and std. @default 10 */
  lag: number;
  /** How far back an alarm looks for the change's start. @default 60 */
  lookback: number;
}

export const defaultCusumOptions: CusumOptions = { warmUp: 60, drift: 0.5, threshold: 10, minStd: 0.05, lag: 10, lookback: 60 };

export class Cusum implements ChangePointDetector {
  readonly options: CusumOptions;
  private index = -1;
  // Welford's running mean and sum of squared deviations of the regime's observations.
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private upper = 0;
  private lower = 0;
  /** The standardized observations of this regime after its warm-up, the last `lookback` of them, newest last. */
  private scores: number[] = [];
  /** The last lag + 1 observations, newest last. */
  private recent: number[] = [];
  /** Observations of this regime not yet in the running estimate. */
  private pending = 0;

  constructor(options: Partial<CusumOptions> = {}) {
    this.options = { ...defaultCusumOptions, ...options };
    const o = this.options;
    if (!Number.isInteger(o.warmUp) || o.warmUp < 2) throw new RangeError(`Expected warmUp to be an integer of 2 or more, got ${o.warmUp}`);
    if (!(o.drift >= 0 && o.threshold > 0 && o.minStd > 0)) throw new RangeError('Expected drift >= 0, threshold > 0 and minStd > 0');
    if (!Number.isInteger(o.lag) || o.lag < 0) throw new RangeError(`Expected lag to be an integer of 0 or more, got ${o.lag}`);
    if (!Number.isInteger(o.lookback) || o.lookback < 1) throw new RangeError(`Expected lookback to be an integer of 1 or more, got ${o.lookback}`);
  }

  reset(): void {
    this.index = -1;
    this.recent = [];
    this.startRegime();
  }

  update(count: number): ChangePointResult {
    const x = logCount(count);
    this.index += 1;
    const o = this.options;
    this.recent.push(x);
    if (this.recent.length > o.lag + 1) this.recent.shift();

    if (this.n < o.warmUp) {
      this.add(x);
      return { changed: false, index: this.index, score: 0 };
    }

    const std = Math.max(o.minStd, Math.sqrt(this.m2 / (this.n - 1)));
    const z = (x - this.mean) / std;
    this.upper = Math.max(0, this.upper + z - o.drift);
    this.lower = Math.max(0, this.lower - z - o.drift);
    this.scores.push(z);
    if (this.scores.length > o.lookback) this.scores.shift();
    const score = Math.max(this.upper, this.lower) / o.threshold;

    if (this.upper > o.threshold || this.lower > o.threshold) {
      const changeIndex = this.index - this.shiftLength(this.upper > o.threshold ? 1 : -1) + 1;
      this.startRegime();
      return { changed: true, index: this.index, changeIndex, score };
    }

    // The observation `lag` intervals old joins the running estimate.
    this.pending += 1;
    if (this.pending > o.lag) {
      this.add(this.recent[this.recent.length - 1 - o.lag]!);
      this.pending -= 1;
    }
    return { changed: false, index: this.index, score };
  }

  private startRegime(): void {
    this.n = 0;
    this.mean = 0;
    this.m2 = 0;
    this.upper = 0;
    this.lower = 0;
    this.pending = 0;
    this.scores = [];
  }

  /** The number of newest scores that most likely come from a mean shifted in `direction` (+1 up, -1 down). */
  private shiftLength(direction: 1 | -1): number {
    let sum = 0;
    let best = 0;
    let bestLength = 1;
    for (let length = 1; length <= this.scores.length; length++) {
      sum += this.scores[this.scores.length - length]!;
      const statistic = direction * sum > 0 ? (sum * sum) / length : 0;
      if (statistic > best) {
        best = statistic;
        bestLength = length;
      }
    }
    return bestLength;
  }

  private add(x: number): void {
    this.n += 1;
    const delta = x - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (x - this.mean);
  }
}
