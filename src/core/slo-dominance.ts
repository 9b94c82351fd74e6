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

/** Same batch size and processes: one row, along which p99 cannot fall as memory shrinks. */
function sameRow(a: Config, b: Config): boolean {
  return a.processes === b.processes && a.batchSize === b.batchSize;
}

/** True if some clear miss has the same batch size and processes and at least as much memory. */
export function condemnedBy(config: Config, misses: readonly Config[]): boolean {
  return misses.some((m) => sameRow(m, config) && config.memoryMb <= m.memoryMb);
}

/**
 * P(feasible) for a configuration whose memory size a clear miss and a pass of this episode,
 * with its batch size and processes, bracket (miss below, pass above); undefined if none do.
 * By the same monotonicity the SLO boundary of that row lies between them, and nothing
 * measured says where: a GP cannot place a step (a model that does not fit below some size)
 * between two points, so it spreads the miss over the sizes next to it and predicts them
 * infeasible with confidence (P(feasible) 0.000 at the optimum, one size above the cliff, on
 * the generated mixed-b family). With the boundary equally likely in each of the k + 1 gaps
 * between the k unmeasured sizes, the j-th from the bottom is feasible with probability
 * j / (k + 1): EI then weighs a cheap size low in the bracket against its worse odds, which
 * is how a person would bisect.
 */
export function bracketFeasibility(config: Config, misses: readonly Config[], passes: readonly Config[], memorySizes: readonly number[]): number | undefined {
  const below = misses.filter((m) => sameRow(m, config) && m.memoryMb < config.memoryMb).map((m) => m.memoryMb);
  const above = passes.filter((p) => sameRow(p, config) && p.memoryMb > config.memoryMb).map((p) => p.memoryMb);
  if (below.length === 0 || above.length === 0) return undefined;
  const [low, high] = [Math.max(...below), Math.min(...above)];
  const between = memorySizes.filter((m) => m > low && m < high);
  return (between.filter((m) => m <= config.memoryMb).length) / (between.length + 1);
}
