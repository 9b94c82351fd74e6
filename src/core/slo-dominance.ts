import type { Config } from './config-space.js';

/**
 * What a clear SLO miss says about other configurations, without a model.
 *
 * At one arrival rate, batch size and process count, p99 cannot fall as memory shrinks:
 * less memory is less CPU, so every batch takes at least as long, fewer are served per
 * instance, and a model that ran out of memory runs out with less. So a configuration that
 * clearly missed the SLO condemns every configuration with the same batch size and
 * processes and no more memory: trying one can only miss again. (Not the larger batch
 * sizes, though each takes longer: under a cap on instances, a larger batch is what keeps
 * up with the rate, and a miss from overload can vanish with it; measured on the
 * MobileNetV2 surfaces at 100 req/s, condemning them doubled the failures.) A GP cannot learn this from a few points: a cliff such as "below 2 GB the model
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

/** True if some clear miss has the same batch size and processes and at least as much memory. */
export function condemnedBy(config: Config, misses: readonly Config[]): boolean {
  return misses.some((m) => m.processes === config.processes && m.batchSize === config.batchSize && config.memoryMb <= m.memoryMb);
}
