import { ConfigSpace } from './config-space.js';
import type { Rng } from './random.js';

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/**
 * Standard normal CDF through erfc (Numerical Recipes' Chebyshev fit, relative error under
 * 1.2e-7 everywhere), accurate far enough into the tails for the thresholds used here.
 */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(
      -x * x - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

/**
 * Expected improvement below `best` (minimization) of a Gaussian N(mean, std^2), with the
 * improvement counted from best - xi (xi > 0 asks for at least that much).
 */
export function expectedImprovement(mean: number, std: number, best: number, xi: number): number {
  const gain = best - xi - mean;
  if (!(std > 1e-12)) return Math.max(0, gain);
  const z = gain / std;
  return gain * normalCdf(z) + std * normalPdf(z);
}

/** P(g <= 0) for a constraint g ~ N(mean, std^2). */
export function probabilityFeasible(mean: number, std: number): number {
  if (!(std > 1e-12)) return mean <= 0 ? 1 : 0;
  return normalCdf(-mean / std);
}

function distance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/** Smallest pairwise distance within a set of points (Infinity for fewer than two). */
export function minPairwiseDistance(points: readonly (readonly number[])[]): number {
  let min = Infinity;
  for (let i = 0; i < points.length; i++) {
    for (let j = 0; j < i; j++) min = Math.min(min, distance(points[i]!, points[j]!));
  }
  return min;
}

/** The candidate farthest (in its nearest-neighbour distance) from every point in `from`. */
export function farthestFrom(candidates: readonly number[], points: readonly (readonly number[])[], from: readonly (readonly number[])[]): number | undefined {
  let best: number | undefined;
  let bestDistance = -Infinity;
  for (const i of candidates) {
    const d = Math.min(...from.map((p) => distance(points[i]!, p)));
    if (d > bestDistance) {
      bestDistance = d;
      best = i;
    }
  }
  return best;
}

/**
 * A replacement for an unsafe design point: of `open`, the safe one (P(feasible) >= minP)
 * farthest from `evaluated`, else the most likely feasible (`safe` says which).
 */
export function safeSubstitute(
  open: readonly number[], pf: (i: number) => number, minP: number, points: readonly (readonly number[])[], evaluated: readonly (readonly number[])[],
): { index: number; safe: boolean } {
  const safe = open.filter((i) => pf(i) >= minP);
  if (safe.length > 0) return { index: farthestFrom(safe, points, evaluated)!, safe: true };
  return { index: open.reduce((a, b) => (pf(b) > pf(a) ? b : a)), safe: false };
}

/**
 * A Latin-hypercube design over two grid axes: `size` strata per axis, one random level in
 * each stratum, strata paired by a random permutation; of `tries` such designs the one
 * whose closest pair is farthest apart (maximin LHS). Returns [level of axis 0, level of
 * axis 1] pairs (indices into the axes).
 */
export function latinMaximin(levels: [number, number], size: number, rng: Rng, tries = 64): Array<[number, number]> {
  let best: Array<[number, number]> = [];
  let bestScore = -Infinity;
  const draw = (n: number, j: number) => Math.min(n - 1, Math.floor(((j + rng.next()) / size) * n));
  for (let t = 0; t < tries; t++) {
    const pairing = rng.shuffle(Array.from({ length: size }, (_, j) => j));
    const design = pairing.map((p, j): [number, number] => [draw(levels[0], j), draw(levels[1], p)]);
    const unit = design.map(([a, b]) => [a / Math.max(1, levels[0] - 1), b / Math.max(1, levels[1] - 1)]);
    const score = minPairwiseDistance(unit);
    if (score > bestScore) {
      bestScore = score;
      best = design;
    }
  }
  return best;
}

/**
 * The initial design of an episode, as indices into `space.configs`: a maximin Latin
 * hypercube over (memory, batch), each point at the most processes its memory allows (the
 * configuration that uses the CPU it pays for; the nearest configuration of the space if
 * that one is missing), ordered centre first: the least extreme configuration is the
 * likeliest to be feasible, and a feasible first observation makes the safety checks of
 * the rest informative. No prior points: the tuner starts with no knowledge of the model.
 */
export function initialDesign(space: ConfigSpace, size: number, rng: Rng, maxMemoryMb = Infinity): number[] {
  const base = space.configs.map((c) => space.encode(c, space.contextRange?.minRatePerS).slice(0, ConfigSpace.configDimensions));
  const memorySizes = space.memorySizes.filter((m) => m <= maxMemoryMb);
  const { batchSizes } = space;
  const chosen: number[] = [];
  for (const [m, b] of latinMaximin([memorySizes.length, batchSizes.length], Math.min(size, space.size), rng)) {
    const memoryMb = memorySizes[m]!;
    const wanted = { memoryMb, batchSize: batchSizes[b]!, processes: space.maxProcessesAt(memoryMb) };
    let index = space.indexOf(wanted);
    if (index < 0 || chosen.includes(index)) {
      const x = space.encode(wanted, space.contextRange?.minRatePerS).slice(0, ConfigSpace.configDimensions);
      const open = base.map((_, i) => i).filter((i) => !chosen.includes(i));
      index = open.reduce((a, c) => (distance(base[c]!, x) < distance(base[a]!, x) ? c : a));
    }
    chosen.push(index);
  }
  const centre = (i: number) => distance(base[i]!.slice(0, 2), [0.5, 0.5]);
  return chosen.sort((a, b) => centre(a) - centre(b));
}
