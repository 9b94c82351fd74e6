import type { Rng } from '../core/random.js';

/**
 * Synthetic per-interval arrival counts with known change points, for the change-point
 * tests and `ferry bench detect`. Every draw comes from the seeded Rng passed in.
 *
 * Noise models for a rate r (mean count per interval):
 * - poisson: Poisson(r);
 * - negbin: Poisson(r G), G ~ Gamma(shape k, mean 1): negative binomial, variance r + r^2 / k
 *   (k = 10: 11x Poisson's variance at 100 req/s, 2x at 10 req/s);
 * - lognormal: Poisson(r exp(s Z - s^2 / 2)), Z standard normal: Poisson-lognormal.
 */
export type CountNoise = 'poisson' | 'negbin' | 'lognormal';

export const countNoises: readonly CountNoise[] = ['poisson', 'negbin', 'lognormal'];

export interface NoiseOptions {
  noise: CountNoise;
  /** negbin's shape k. @default 10 */
  negbinShape?: number;
  /** lognormal's s. @default 0.3 */
  lognormalSigma?: number;
}

export function sampleCount(rng: Rng, rate: number, options: NoiseOptions): number {
  switch (options.noise) {
    case 'poisson':
      return samplePoisson(rng, rate);
    case 'negbin': {
      const shape = options.negbinShape ?? 10;
      return samplePoisson(rng, (rate * sampleGamma(rng, shape)) / shape);
    }
    case 'lognormal': {
      const sigma = options.lognormalSigma ?? 0.3;
      return samplePoisson(rng, rate * Math.exp(sigma * rng.normal() - (sigma * sigma) / 2));
    }
  }
}

/** Poisson by Knuth's product of uniforms, in pieces of mean <= 30 (exact; O(rate) uniforms). */
export function samplePoisson(rng: Rng, rate: number): number {
  if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError(`Expected a finite rate >= 0, got ${rate}`);
  let total = 0;
  let left = rate;
  while (left > 0) {
    const piece = Math.min(left, 30);
    left -= piece;
    const limit = Math.exp(-piece);
    let product = rng.next();
    while (product > limit) {
      total += 1;
      product *= rng.next();
    }
  }
  return total;
}

/** Gamma(shape, scale 1) by Marsaglia and Tsang (2000); shape < 1 by the u^(1/shape) boost. */
export function sampleGamma(rng: Rng, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`Expected shape > 0, got ${shape}`);
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

export interface CountSeries {
  counts: number[];
  /** Indices of the first interval of each new regime (never 0). */
  changePoints: number[];
}

export interface StepSeriesOptions extends NoiseOptions {
  baseRate: number;
  /** The rate alternates baseRate, factor x baseRate, baseRate, ... */
  factor: number;
  /** @default 4 */
  segments?: number;
  /** Segment lengths are uniform in [minSegment, maxSegment]. @default 200, 400 */
  minSegment?: number;
  maxSegment?: number;
}

/** Piecewise-constant rate: up and down steps by `factor` at random segment lengths. */
export function stepSeries(rng: Rng, options: StepSeriesOptions): CountSeries {
  const segments = options.segments ?? 4;
  const minSegment = options.minSegment ?? 200;
  const maxSegment = options.maxSegment ?? 400;
  const counts: number[] = [];
  const changePoints: number[] = [];
  for (let s = 0; s < segments; s++) {
    if (s > 0) changePoints.push(counts.length);
    const rate = s % 2 === 0 ? options.baseRate : options.baseRate * options.factor;
    const length = minSegment + rng.int(maxSegment - minSegment + 1);
    for (let i = 0; i < length; i++) counts.push(sampleCount(rng, rate, options));
  }
  return { counts, changePoints };
}

/** A constant rate: every change reported on it is a false alarm. */
export function stationarySeries(rng: Rng, options: NoiseOptions & { rate: number; length: number }): number[] {
  return Array.from({ length: options.length }, () => sampleCount(rng, options.rate, options));
}

/**
 * A slow daily-cycle-like rate: rate (1 + amplitude sin(2 pi t / period + phase)), no step.
 * A re-tuning trigger with a minimum effect should stay quiet on it.
 */
export function sinusoidSeries(rng: Rng, options: NoiseOptions & { rate: number; amplitude: number; periodS: number; length: number; phase?: number }): number[] {
  const phase = options.phase ?? 0;
  return Array.from({ length: options.length }, (_, t) =>
    sampleCount(rng, options.rate * (1 + options.amplitude * Math.sin((2 * Math.PI * t) / options.periodS + phase)), options));
}
