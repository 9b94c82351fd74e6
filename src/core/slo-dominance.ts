import type { Config } from './config-space.js';

/**
 * What a clear SLO miss says about other configurations, without a model.
 *
 * At one arrival rate and process count, p99 cannot fall as the batch size grows (the
 * gateway waits for, and a burst fills, a larger batch, and a larger batch takes longer)
 * nor as memory shrinks (less memory is less CPU, and one that ran out of memory runs out
 * with less). So a configuration that clearly missed the SLO condemns every configuration
 * with the same processes, no more memory and no smaller batch: trying one can only miss
 * again. A GP cannot learn this from a few points: a cliff such as "below 2 GB the model
 * does not fit" is a step, which a smooth kernel spreads over its neighbours, and EI keeps
 * probing the cheap side of it (measured on the big-slow surface family, ferry bench tuner
 * --families). `margin` keeps a miss by less than the observation noise from condemning
 * anything: the configuration may be feasible after all.
 */
export const clearMissMargin = 0.1;

export interface ObservedWindow {
  config: Config;
  p99Ms: number;
}

/** Windows of one rate that missed `sloMs` by more than the margin. */
export function clearMisses(windows: readonly ObservedWindow[], sloMs: number, margin = clearMissMargin): Config[] {
  return windows.filter((w) => w.p99Ms > sloMs * (1 + margin)).map((w) => w.config);
}

/** True if some clear miss has the same processes, at least as much memory and at most this batch size. */
export function condemnedBy(config: Config, misses: readonly Config[]): boolean {
  return misses.some((m) => m.processes === config.processes && config.memoryMb <= m.memoryMb && config.batchSize >= m.batchSize);
}
