/**
 * Online change-point detection on a stream of per-interval arrival counts: the controller
 * feeds one count per interval and re-tunes when the arrival rate has shifted.
 *
 * Indices count `update` calls since construction or the last `reset()`, from 0.
 */
export interface ChangePointResult {
  /** True on the one update at which a change is declared. */
  changed: boolean;
  /** Index of the count just consumed. */
  index: number;
  /** When `changed`: the index of the first interval of the new regime (estimated). */
  changeIndex?: number;
  /** The detector's own evidence for a recent change (its meaning depends on the detector). */
  score: number;
}

export interface ChangePointDetector {
  /** Consumes the count of the next interval (a finite number, 0 or more). */
  update(count: number): ChangePointResult;
  /** Forgets everything: the next update has index 0 again. */
  reset(): void;
}

/** Both detectors model log(count + 1): rates multiply, so a 2x step is the same shift at 10 or 100 req/s. */
export function logCount(count: number): number {
  if (!Number.isFinite(count) || count < 0) throw new RangeError(`Expected a count of 0 or more, got ${count}`);
  return Math.log1p(count);
}
