import type { Config, ConfigSpace } from './config-space.js';

/**
 * What one window says about the other batch sizes at its memory and process count.
 *
 * The gateway sends a batch when it is full or when waiting longer would make its oldest
 * request miss the SLO (src/core/batching-policy.ts). When the deadline is what sends the
 * batches, the window's mean dispatched batch m is below the configured size b, and every
 * configured size b' >= m at the same memory and processes would have dispatched the same
 * batches: the same cost per request. They differ only in the bursts that fill a batch of
 * b', so the p99 can only grow with b'. Hence, for a capped window at b:
 *
 * - b' > b: no cheaper, no faster: nothing to learn by trying it;
 * - m <= b' < b: as cheap, perhaps faster. If b met the SLO, nothing to learn either; if it
 *   did not, the smallest such b' (the least exposed to bursts) is still worth a try.
 *
 * The optimizer skips those configurations and gives its cost model virtual observations
 * at the measured cost, which teach it where cost stops falling with the batch size
 * without spending windows on the plateau.
 */

/** A window counts as capped when its mean batch was below this share of the configured size. */
export const cappedShare = 0.8;

export interface BatchWindow {
  config: Config;
  /** Mean number of requests per dispatched batch in the window. */
  meanBatchSize?: number;
  /** The window met the SLO. */
  feasible: boolean;
}

/** The mean dispatched batch, if the deadline rather than the batch size limited the batches. */
export function capOf(window: BatchWindow): number | undefined {
  const mean = window.meanBatchSize;
  return mean !== undefined && mean < cappedShare * window.config.batchSize ? mean : undefined;
}

/** Configurations (indices into the space) that cost what `window` measured: same memory and processes, batch >= its mean. */
export function sameCostAs(space: ConfigSpace, window: BatchWindow): number[] {
  const cap = capOf(window);
  if (cap === undefined) return [];
  const { memoryMb, processes } = window.config;
  return space.batchSizes
    .filter((b) => b >= cap && b !== window.config.batchSize)
    .map((batchSize) => space.indexOf({ memoryMb, batchSize, processes }))
    .filter((i) => i >= 0);
}

/** The smallest and the largest batch size of sameCostAs (one index if they coincide, none if it is empty). */
export function plateauEnds(space: ConfigSpace, window: BatchWindow): number[] {
  const same = sameCostAs(space, window);
  if (same.length === 0) return [];
  return same.length === 1 ? same : [same[0]!, same.at(-1)!];
}

/** A window with what the cost model needs of it: its episode, configuration index, rate and (clamped) log cost. */
export interface CostWindow extends BatchWindow {
  episode: number;
  index: number;
  rate: number | undefined;
  logCost: number;
}

/**
 * Cost observations at each window's log cost for the two ends of the plateau it stands
 * for, where its episode did not evaluate them, at that window's rate: a window teaches the
 * cost model a plateau for two extra points.
 */
export function plateauObservations(space: ConfigSpace, windows: readonly CostWindow[]): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  const taken = new Set(windows.map((w) => `${w.episode}:${w.index}`));
  for (const w of windows) {
    for (const i of plateauEnds(space, w)) {
      const key = `${w.episode}:${i}`;
      if (taken.has(key)) continue;
      taken.add(key);
      x.push(space.encode(space.configs[i]!, w.rate));
      y.push(w.logCost);
    }
  }
  return { x, y };
}

/** True if evaluating `config` could teach nothing that `window` did not (see above). */
export function isSuperseded(space: ConfigSpace, config: Config, window: BatchWindow): boolean {
  const cap = capOf(window);
  const measured = window.config;
  if (cap === undefined || config.memoryMb !== measured.memoryMb || config.processes !== measured.processes) return false;
  if (config.batchSize < cap || config.batchSize === measured.batchSize) return false;
  if (config.batchSize > measured.batchSize || window.feasible) return true;
  return config.batchSize !== space.batchSizes.find((b) => b >= cap);
}
