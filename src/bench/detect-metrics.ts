import type { ChangePointDetector } from '../core/change-point/detector.js';

/** One declared change: `index` is when it was declared, `changeIndex` where it is estimated to start. */
export interface Alarm {
  index: number;
  changeIndex: number;
}

/** Feeds a whole series to a fresh (reset) detector and collects its changes. */
export function runDetector(detector: ChangePointDetector, counts: readonly number[]): Alarm[] {
  detector.reset();
  const alarms: Alarm[] = [];
  for (const count of counts) {
    const result = detector.update(count);
    if (result.changed) alarms.push({ index: result.index, changeIndex: result.changeIndex ?? result.index });
  }
  return alarms;
}

export interface ChangePointScore {
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
  /** Detection delay (declared index - true change point) of each matched true change point. */
  delays: number[];
}

/**
 * F1 of estimated change starts against true change points with a margin, as TCPDBench
 * (van den Burg and Williams 2020, `true_positives`): each true change point, in order, takes
 * the closest unclaimed estimate within `margin` intervals. Unlike TCPDBench we do not add
 * the series start (index 0) to both sets, which would be one free true positive per series.
 * No estimates: precision 1 (nothing was wrong). Delays are measured to the declaration.
 */
export function scoreChangePoints(truth: readonly number[], alarms: readonly Alarm[], margin = 5): ChangePointScore {
  const unclaimed = new Set(alarms.map((_, i) => i));
  const delays: number[] = [];
  for (const tau of truth) {
    let best: number | undefined;
    for (const i of unclaimed) {
      const distance = Math.abs(alarms[i]!.changeIndex - tau);
      if (distance <= margin && (best === undefined || distance < Math.abs(alarms[best]!.changeIndex - tau))) best = i;
    }
    if (best === undefined) continue;
    unclaimed.delete(best);
    delays.push(alarms[best]!.index - tau);
  }
  const truePositives = delays.length;
  const precision = alarms.length === 0 ? 1 : truePositives / alarms.length;
  const recall = truth.length === 0 ? 1 : truePositives / truth.length;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePositives, precision, recall, f1, delays };
}
