import { BayesOpt, type BayesOptOptions } from '../core/bayes-opt.js';
import { ConfigSpace } from '../core/config-space.js';
import type { MemoryNeed } from '../core/memory-need.js';

export interface OnlineTunerOptions {
  sloMs: number;
  seed: number;
  /** The controller's window: requests and ms, at least (`--tune-window-requests`, `--tune-window-s`). */
  windowRequests: number;
  windowMs: number;
  /**
   * Seconds a configuration found is expected to serve before traffic changes: what a
   * trial's saving is counted over (`--tune-horizon-s`). 0 turns pricing off: the
   * sample-efficiency optimizer that ferry bench tuner measures. @default 1800
   */
  horizonS?: number;
  /** Invocations serving runs at once, at most (`--concurrency`): what a switch can start. @default unbounded */
  maxInstances?: number;
  /** The model's memory need: configurations whose batch would not fit are not in the space. */
  memoryNeed?: MemoryNeed;
  /** The optimizer's own settings, for experiments and benchmarks (serve keeps the defaults). */
  tuning?: Partial<Omit<BayesOptOptions, 'space' | 'sloMs' | 'seed' | 'context' | 'economics'>>;
}

/** The rates the optimizer's context covers (requests per second, log-scaled). */
export const tunedRateRange = { minRatePerS: 0.1, maxRatePerS: 1000 } as const;

export const defaultTuneHorizonS = 1800;

/** Design points of a priced episode (see createOnlineTuner). */
export const pricedInitialPoints = 2;
/**
 * The priced design's memory sizes, at most: 3008 MB (1.7 vCPUs). Uncapped, one of the two
 * points always lands at 3-10 GB with up to 6 processes; at low rates that trial bills its
 * INIT and idle share over few requests, and where it then stays the incumbent (no trial
 * pays for itself against it) it serves the hour (ocr-cls, code.csv at 1x, 200 ms, seed 1:
 * 6144 MB, batch 64, 4 processes; $0.515 per million, $0.224 with the cap). Chosen on the
 * cost matrix (joint-bo, 5 seeds, medians; caps of 1769-5307 MB tried, docs/tuning.md):
 * $9.64 -> $8.45 per million summed over 28 cells, 19 -> 18 cells at 99% within the SLO,
 * mean attainment 99.12% -> 99.13%; held out, $7.23 -> $6.37 over 20 cells, 14 -> 15 at
 * 99%. EI still goes above it where a trial pays. A small-memory design point with a large
 * batch ran MobileNetV2's worker out of memory live (docs/tuning.md, "The priced design's
 * memory cap"); the space now leaves out what does not fit (`memoryNeed`).
 */
export const pricedDesignMaxMemoryMb = 3008;

/**
 * The optimizer `ferry serve --tune` runs, built in one place so that serve, the fidelity
 * benchmark and the simulator's joint-bo policy run the same one: BayesOpt over ferry's
 * ConfigSpace with the arrival rate as context, exploration priced in dollars over the
 * horizon (src/core/tuning-economics.ts).
 */
export function createOnlineTuner(options: OnlineTunerOptions): BayesOpt {
  const horizonS = options.horizonS ?? defaultTuneHorizonS;
  if (!(horizonS >= 0 && Number.isFinite(horizonS))) throw new RangeError(`Expected a tuning horizon of 0 or more seconds, got ${horizonS}`);
  return new BayesOpt({
    // Two design points, not the three that sample efficiency on static surfaces favours:
    // a design point is the one trial that is not priced, and over an hour of traffic the
    // third cost more than it taught (15 generated traces of 5 kinds, 3 seeds each: 11%
    // cheaper in geometric mean with two, 1% with one; the three held-out traces, one run
    // each, said 1.17x dearer: docs/tuning.md has both).
    ...(horizonS > 0 ? { initialPoints: pricedInitialPoints, designMaxMemoryMb: pricedDesignMaxMemoryMb } : {}),
    ...options.tuning,
    space: new ConfigSpace(options.memoryNeed ? { memoryNeed: options.memoryNeed } : {}), sloMs: options.sloMs, seed: options.seed, context: tunedRateRange,
    ...(horizonS > 0 ? { economics: { horizonS, windowRequests: options.windowRequests, windowS: options.windowMs / 1000, ...(options.maxInstances ? { maxInstances: options.maxInstances } : {}) } } : {}),
  });
}
