import type { ChangePointDetector, ChangePointResult } from './detector.js';

/**
 * Decides which detected changes are worth re-tuning for. Re-tuning costs exploration (the
 * optimizer tries configurations that may miss the SLO), so a change must be large and not
 * too soon after the last one. Wraps any detector: its changes are candidates, and a
 * candidate that started at index s becomes a trigger once
 * - the mean rate over the `afterWindow` intervals after the detector declared it, and the
 *   mean over up to `beforeWindow` intervals before s (not reaching back past the previous
 *   trigger's start, and at least `afterWindow` of them, or the candidate is dropped) differ
 *   by a ratio of at least 1 + minEffect either way, each mean plus `pseudoCount` so that
 *   near-silent stretches (0 -> 0.2 req/s) are not infinite changes. The new rate is measured
 *   after the declaration, not from s: the intervals from s to the declaration are the ones
 *   that made the detector fire, and judging a candidate on them passes nearly every false
 *   alarm (measured: all of CUSUM's on over-dispersed counts at 10 req/s). The price is
 *   afterWindow intervals of delay, unless the change is plain sooner: from `minAfter`
 *   intervals after the declaration on, a candidate whose measured effect clears the
 *   minimum by `earlyZ` standard errors of the log rate ratio (delta method, each window's
 *   variance at least Poisson's) is confirmed at once, a sequential test of which the fixed
 *   window is the last step; and
 * - at least `minGap` intervals have passed since the previous trigger (a passing candidate
 *   waits for the gap; a newer candidate replaces a waiting one).
 * The trigger reports the candidate's estimated start as its changeIndex.
 */
export interface RetuneTriggerOptions {
  /** Intervals from one trigger to the next, at least. @default 60 */
  minGap: number;
  /** Minimum relative change of the mean rate: 0.3 means x1.3 up or /1.3 down. @default 0.3 */
  minEffect: number;
  /** Intervals after the candidate's declaration that measure the new rate (also the fewest intervals before its start that measure the old one). @default 10 */
  afterWindow: number;
  /** Intervals before the candidate's start that measure the old rate, at most. @default 60 */
  beforeWindow: number;
  /** Added to both mean counts per interval before taking their ratio. @default 0.5 */
  pseudoCount: number;
  /** Intervals after the declaration before an early confirmation is considered. @default 3 */
  minAfter: number;
  /** Standard errors by which an early confirmation must clear the minimum effect. @default 2 */
  earlyZ: number;
}

export const defaultRetuneTriggerOptions: RetuneTriggerOptions = {
  minGap: 60, minEffect: 0.3, afterWindow: 10, beforeWindow: 60, pseudoCount: 0.5, minAfter: 3, earlyZ: 2,
};

/** A trigger's score is the rate ratio (after / before, with pseudo-counts) of the last candidate judged. */
export class RetuneTrigger implements ChangePointDetector {
  readonly options: RetuneTriggerOptions;
  private readonly inner: ChangePointDetector;
  private readonly capacity: number;
  private counts: number[] = [];
  /** Index of counts[0]. */
  private offset = 0;
  private index = -1;
  private candidate: { start: number; declaredAt: number; ratio: number | undefined } | undefined;
  private lastTrigger: { index: number; start: number } | undefined;
  private lastRatio = 1;

  constructor(inner: ChangePointDetector, options: Partial<RetuneTriggerOptions> = {}) {
    this.inner = inner;
    this.options = { ...defaultRetuneTriggerOptions, ...options };
    const o = this.options;
    for (const [name, value] of [['minGap', o.minGap], ['afterWindow', o.afterWindow], ['beforeWindow', o.beforeWindow]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected ${name} to be an integer of 1 or more, got ${value}`);
    }
    if (!(o.minEffect >= 0 && o.pseudoCount >= 0)) throw new RangeError('Expected minEffect >= 0 and pseudoCount >= 0');
    // Enough history for the before window of a candidate whose start lies well behind its detection.
    this.capacity = o.beforeWindow + o.afterWindow + 1024;
  }

  reset(): void {
    this.inner.reset();
    this.counts = [];
    this.offset = 0;
    this.index = -1;
    this.candidate = undefined;
    this.lastTrigger = undefined;
    this.lastRatio = 1;
  }

  update(count: number): ChangePointResult {
    const inner = this.inner.update(count);
    this.index += 1;
    this.counts.push(count);
    if (this.counts.length >= 2 * this.capacity) {
      // Trimmed in chunks: amortized O(1) per update.
      const drop = this.counts.length - this.capacity;
      this.counts.splice(0, drop);
      this.offset += drop;
    }
    if (inner.changed && inner.changeIndex !== undefined) {
      this.candidate = { start: Math.max(inner.changeIndex, this.offset), declaredAt: this.index, ratio: undefined };
    }
    const quiet = { changed: false, index: this.index, score: this.lastRatio };
    const candidate = this.candidate;
    if (candidate === undefined) return quiet;
    const o = this.options;
    if (candidate.ratio === undefined) {
      const afterFrom = candidate.declaredAt + 1;
      const measured = this.index - afterFrom + 1;
      if (measured < Math.min(o.minAfter, o.afterWindow)) return quiet;
      const floor = Math.max(candidate.start - o.beforeWindow, this.lastTrigger?.start ?? 0, this.offset);
      if (candidate.start - floor < o.afterWindow) {
        this.candidate = undefined; // too little of the old rate to compare with
        return quiet;
      }
      const before = this.stats(floor, candidate.start);
      const after = this.stats(afterFrom, this.index + 1);
      const ratio = (after.mean + o.pseudoCount) / (before.mean + o.pseudoCount);
      const effect = Math.abs(Math.log(ratio)) - Math.log(1 + o.minEffect);
      if (measured < o.afterWindow) {
        // Early: only a change that clears the minimum effect by earlyZ standard errors.
        if (effect < o.earlyZ * logRatioStdError(before, after, o.pseudoCount)) return quiet;
      } else if (effect < 0) {
        this.lastRatio = ratio;
        this.candidate = undefined;
        return { ...quiet, score: ratio };
      }
      candidate.ratio = ratio;
      this.lastRatio = ratio;
    }
    if (this.lastTrigger !== undefined && this.index - this.lastTrigger.index < o.minGap) return quiet;
    this.candidate = undefined;
    this.lastTrigger = { index: this.index, start: candidate.start };
    return { changed: true, index: this.index, changeIndex: candidate.start, score: candidate.ratio };
  }

  /** Mean and variance of the counts over indices [from, to). */
  private stats(from: number, to: number): WindowStats {
    let sum = 0;
    let squares = 0;
    for (let i = from; i < to; i++) {
      const c = this.counts[i - this.offset]!;
      sum += c;
      squares += c * c;
    }
    const n = to - from;
    const mean = sum / n;
    return { n, mean, variance: n > 1 ? Math.max(0, (squares - n * mean * mean) / (n - 1)) : mean };
  }
}

interface WindowStats {
  n: number;
  mean: number;
  variance: number;
}

/**
 * Standard error of log(after mean / before mean), by the delta method. Each window's
 * variance is at least its mean (Poisson): three intervals say little about over-dispersion.
 */
function logRatioStdError(before: WindowStats, after: WindowStats, pseudoCount: number): number {
  const term = (w: WindowStats) => Math.max(w.variance, w.mean) / (w.n * (w.mean + pseudoCount) ** 2);
  return Math.sqrt(term(before) + term(after));
}
