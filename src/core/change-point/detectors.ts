import { Bocpd, type BocpdOptions } from './bocpd.js';
import { Cusum, type CusumOptions } from './cusum.js';
import type { ChangePointDetector } from './detector.js';
import { RetuneTrigger, type RetuneTriggerOptions } from './retune-trigger.js';

/** The change-point detectors by name; the program picks one where it is put together (CLI, controller, bench). */
export const changePointDetectors = {
  bocpd: (options: Partial<BocpdOptions> = {}): ChangePointDetector => new Bocpd(options),
  cusum: (options: Partial<CusumOptions> = {}): ChangePointDetector => new Cusum(options),
} as const;

export type ChangePointDetectorName = keyof typeof changePointDetectors;

export const changePointDetectorNames = Object.keys(changePointDetectors) as ChangePointDetectorName[];

export function isChangePointDetectorName(name: string): name is ChangePointDetectorName {
  return Object.hasOwn(changePointDetectors, name);
}

/** A detector by name, optionally wrapped in the re-tuning trigger (min gap, min effect). */
export function createChangePointDetector(name: ChangePointDetectorName, trigger?: Partial<RetuneTriggerOptions>): ChangePointDetector {
  const detector = changePointDetectors[name]();
  return trigger === undefined ? detector : new RetuneTrigger(detector, trigger);
}
