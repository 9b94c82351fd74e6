import type { Rng } from './random.js';

/**
 * Gaussian-process regression for the tuner: a Matern 5/2 kernel with one length scale per
 * input (ARD), a signal variance and a noise variance.
 *
 * - Inputs are assumed already scaled to [0, 1] per dimension (see config-space.ts).
 * - Targets are standardized internally, z = (y - mean) / std (population std, at least
 *   `minTargetStd`; 1 when the targets are constant), so the signal and noise variances are
 *   in units of that std.
 * - Hyperparameters maximize the log marginal likelihood over log-parameters inside fixed
 *   bounds, by Nelder-Mead from the previous optimum (or a default point) and a few random
 *   starts drawn from a seeded generator.
 */
export interface GpHyperparameters {
  /** One per input dimension, in the inputs' [0, 1] units. */
  lengthScales: number[];
  /** Prior variance of the standardized latent function. */
  signalVariance: number;
  /** Observation noise variance, standardized units. */
  noiseVariance: number;
}

export interface GpBounds {
  lengthScale: [number, number];
  signalVariance: [number, number];
  noiseVariance: [number, number];
}

export const defaultGpBounds: GpBounds = {
  // Grid steps are ~0.07 of a dimension: shorter scales make neighbours unrelated.
  lengthScale: [0.05, 10],
  signalVariance: [0.05, 20],
  noiseVariance: [1e-6, 0.5],
};

export interface GpFitOptions {
  /** Fixed hyperparameters: no optimization. */
  hyperparameters?: GpHyperparameters;
  /** Source of the random restarts (required to optimize with restarts > 0). */
  rng?: Rng;
  /** Random starts besides `initial` (or a default point). @default 2 */
  restarts?: number;
  /** A start point, e.g. the previous fit's optimum. */
  initial?: GpHyperparameters;
  bounds?: GpBounds;
  /** Likelihood evaluations per start. @default 120 */
  maxEvaluations?: number;
  /**
   * Standardize by at least this spread (targets' units): nearly constant targets are then
   * read as constant, not their noise magnified to unit variance. @default 0
   */
  minTargetStd?: number;
  /** A log-normal prior on every length scale: then LML + log prior is maximized (MAP). */
  lengthScalePrior?: { median: number; logSd: number };
}

export interface GpPrediction {
  mean: number;
  /** Variance of the latent function (observation noise excluded). */
  variance: number;
}

/** Matern 5/2 at scaled distance d = r / l: (1 + sqrt5 d + 5 d^2 / 3) exp(-sqrt5 d). */
export function matern52(scaledDistance: number): number {
  const s = Math.sqrt(5) * scaledDistance;
  return (1 + s + (s * s) / 3) * Math.exp(-s);
}

const jitters = [1e-10, 1e-8, 1e-6, 1e-4, 1e-2];

/**
 * Lower Cholesky factor of a symmetric n x n matrix (row-major), with `jitter` times its
 * mean diagonal added to the diagonal; undefined if it is not positive definite.
 */
export function cholesky(a: Float64Array, n: number, jitter = 0): Float64Array | undefined {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i * n + i]!;
  const add = jitter * (trace / n || 1);
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]! + (i === j ? add : 0);
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      if (i === j && !(sum > 0)) return undefined;
      l[i * n + j] = i === j ? Math.sqrt(sum) : sum / l[j * n + j]!;
    }
  }
  return l;
}

/** Cholesky with growing jitter until it succeeds. */
function choleskyWithJitter(a: Float64Array, n: number): Float64Array {
  for (const jitter of jitters) {
    const l = cholesky(a, n, jitter);
    if (l) return l;
  }
  throw new RangeError('Covariance matrix is not positive definite even with jitter 1e-2');
}

/** Solves L x = b in place (L lower, row-major). */
function forwardSolve(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * b[k]!;
    b[i] = sum / l[i * n + i]!;
  }
  return b;
}

/** Solves L^T x = b in place. */
function backSolve(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let sum = b[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * b[k]!;
    b[i] = sum / l[i * n + i]!;
  }
  return b;
}

/** Squared differences per dimension for i > j: diffs[(i * n + j) * d + k]. */
function pairDiffs(x: readonly number[][], d: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n * n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      for (let k = 0; k < d; k++) out[(i * n + j) * d + k] = (x[i]![k]! - x[j]![k]!) ** 2;
    }
  }
  return out;
}

function covariance(diffs: Float64Array, n: number, d: number, hp: GpHyperparameters): Float64Array {
  const k = new Float64Array(n * n);
  const inv = hp.lengthScales.map((l) => 1 / (l * l));
  for (let i = 0; i < n; i++) {
    k[i * n + i] = hp.signalVariance + hp.noiseVariance;
    for (let j = 0; j < i; j++) {
      let r2 = 0;
      for (let q = 0; q < d; q++) r2 += diffs[(i * n + j) * d + q]! * inv[q]!;
      k[i * n + j] = k[j * n + i] = hp.signalVariance * matern52(Math.sqrt(r2));
    }
  }
  return k;
}

/** log N(z | 0, K) for standardized targets z, with K's Cholesky factor. */
function lmlStandardized(diffs: Float64Array, z: Float64Array, d: number, hp: GpHyperparameters): number {
  const n = z.length;
  const l = choleskyWithJitter(covariance(diffs, n, d, hp), n);
  const w = forwardSolve(l, n, Float64Array.from(z));
  let fit = 0;
  let logDet = 0;
  for (let i = 0; i < n; i++) {
    fit += w[i]! * w[i]!;
    logDet += Math.log(l[i * n + i]!);
  }
  return -0.5 * fit - logDet - 0.5 * n * Math.log(2 * Math.PI);
}

function standardize(y: readonly number[], minStd = 0): { mean: number; std: number; z: Float64Array } {
  const n = y.length;
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const variance = y.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const std = Math.max(minStd, variance > 1e-24 ? Math.sqrt(variance) : 1);
  return { mean, std, z: Float64Array.from(y, (v) => (v - mean) / std) };
}

/**
 * Log marginal likelihood log p(y | X, hp) of the targets in their own units: that of the
 * standardized targets minus n log(std) (the density of y = mean + std z).
 */
export function logMarginalLikelihood(x: readonly number[][], y: readonly number[], hp: GpHyperparameters): number {
  checkData(x, y);
  const d = x[0]!.length;
  const { std, z } = standardize(y);
  return lmlStandardized(pairDiffs(x, d), z, d, hp) - y.length * Math.log(std);
}

function checkData(x: readonly number[][], y: readonly number[]): void {
  if (x.length === 0 || x.length !== y.length) {
    throw new RangeError(`Expected as many targets as inputs (at least one), got ${x.length} inputs and ${y.length} targets`);
  }
  const d = x[0]!.length;
  if (x.some((row) => row.length !== d) || y.some((v) => !Number.isFinite(v))) {
    throw new RangeError('Expected inputs of one dimension and finite targets');
  }
}

type Vector = number[];

function toLog(hp: GpHyperparameters): Vector {
  return [...hp.lengthScales.map(Math.log), Math.log(hp.signalVariance), Math.log(hp.noiseVariance)];
}

function fromLog(theta: Vector, d: number): GpHyperparameters {
  return { lengthScales: theta.slice(0, d).map(Math.exp), signalVariance: Math.exp(theta[d]!), noiseVariance: Math.exp(theta[d + 1]!) };
}

/** Nelder-Mead minimization (standard coefficients) of f from x0 with initial step `step`. */
export function nelderMead(f: (x: Vector) => number, x0: Vector, step: number, maxEvaluations: number): { x: Vector; value: number } {
  const dim = x0.length;
  let evaluations = 0;
  const point = (x: Vector) => ({ x, value: (evaluations++, f(x)) });
  const combine = (a: Vector, b: Vector, t: number) => a.map((v, i) => v + t * (b[i]! - v));
  let simplex = [x0, ...x0.map((_, i) => x0.map((v, j) => (i === j ? v + step : v)))].map(point);
  while (evaluations < maxEvaluations) {
    simplex.sort((a, b) => a.value - b.value);
    const best = simplex[0]!;
    const worst = simplex[dim]!;
    if (worst.value - best.value < 1e-7) break;
    const centroid = x0.map((_, j) => simplex.slice(0, dim).reduce((sum, p) => sum + p.x[j]!, 0) / dim);
    const reflected = point(combine(centroid, worst.x, -1));
    if (reflected.value < best.value) {
      const expanded = point(combine(centroid, worst.x, -2));
      simplex[dim] = expanded.value < reflected.value ? expanded : reflected;
    } else if (reflected.value < simplex[dim - 1]!.value) {
      simplex[dim] = reflected;
    } else {
      const contracted = point(combine(centroid, reflected.value < worst.value ? reflected.x : worst.x, 0.5));
      if (contracted.value < Math.min(reflected.value, worst.value)) simplex[dim] = contracted;
      else simplex = simplex.map((p, i) => (i === 0 ? p : point(combine(best.x, p.x, 0.5))));
    }
  }
  return simplex.sort((a, b) => a.value - b.value)[0]!;
}

export class GaussianProcess {
  private constructor(
    private readonly x: readonly number[][],
    private readonly l: Float64Array,
    private readonly alpha: Float64Array,
    private readonly yMean: number,
    private readonly yStd: number,
    readonly hyperparameters: GpHyperparameters,
    /** log p(y | X, hyperparameters), targets in their own units. */
    readonly logMarginalLikelihood: number,
  ) {}

  static fit(x: readonly number[][], y: readonly number[], options: GpFitOptions = {}): GaussianProcess {
    checkData(x, y);
    const n = x.length;
    const d = x[0]!.length;
    const { mean, std, z } = standardize(y, options.minTargetStd);
    const diffs = pairDiffs(x, d);
    const hp = options.hyperparameters ?? optimize(diffs, z, d, options);
    if (hp.lengthScales.length !== d) throw new RangeError(`Expected ${d} length scales, got ${hp.lengthScales.length}`);
    const l = choleskyWithJitter(covariance(diffs, n, d, hp), n);
    const alpha = backSolve(l, n, forwardSolve(l, n, Float64Array.from(z)));
    const lml = lmlStandardized(diffs, z, d, hp) - n * Math.log(std);
    return new GaussianProcess(x.map((row) => [...row]), l, alpha, mean, std, hp, lml);
  }

  /** Posterior mean and latent variance at one input, in the targets' units. */
  predict(point: readonly number[]): GpPrediction {
    const n = this.x.length;
    const hp = this.hyperparameters;
    const k = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let r2 = 0;
      const xi = this.x[i]!;
      for (let q = 0; q < point.length; q++) r2 += (xi[q]! - point[q]!) ** 2 / hp.lengthScales[q]! ** 2;
      k[i] = hp.signalVariance * matern52(Math.sqrt(r2));
    }
    let meanZ = 0;
    for (let i = 0; i < n; i++) meanZ += k[i]! * this.alpha[i]!;
    const v = forwardSolve(this.l, n, k);
    let explained = 0;
    for (let i = 0; i < n; i++) explained += v[i]! * v[i]!;
    const varianceZ = Math.max(0, hp.signalVariance - explained);
    return { mean: this.yMean + this.yStd * meanZ, variance: this.yStd * this.yStd * varianceZ };
  }
}

function optimize(diffs: Float64Array, z: Float64Array, d: number, options: GpFitOptions): GpHyperparameters {
  const bounds = options.bounds ?? defaultGpBounds;
  const lower = [...Array<number>(d).fill(Math.log(bounds.lengthScale[0])), Math.log(bounds.signalVariance[0]), Math.log(bounds.noiseVariance[0])];
  const upper = [...Array<number>(d).fill(Math.log(bounds.lengthScale[1])), Math.log(bounds.signalVariance[1]), Math.log(bounds.noiseVariance[1])];
  const clamp = (theta: Vector) => theta.map((v, i) => Math.min(upper[i]!, Math.max(lower[i]!, v)));
  const prior = options.lengthScalePrior;
  const penalty = (theta: Vector) =>
    prior ? theta.slice(0, d).reduce((sum, t) => sum + 0.5 * ((t - Math.log(prior.median)) / prior.logSd) ** 2, 0) : 0;
  const objective = (theta: Vector) => {
    const clamped = clamp(theta);
    try {
      const value = -lmlStandardized(diffs, z, d, fromLog(clamped, d)) + penalty(clamped);
      return Number.isFinite(value) ? value : Number.MAX_VALUE;
    } catch {
      return Number.MAX_VALUE; // not positive definite even with jitter: a useless corner
    }
  };
  // The previous optimum if given (it moves little between fits), else a default point.
  const starts = [clamp(toLog(options.initial ?? { lengthScales: Array<number>(d).fill(0.5), signalVariance: 1, noiseVariance: 0.01 }))];
  const restarts = options.restarts ?? 2;
  if (restarts > 0 && !options.rng) throw new RangeError('Expected an rng to draw random restarts from');
  for (let r = 0; r < restarts; r++) starts.push(lower.map((lo, i) => lo + (upper[i]! - lo) * options.rng!.next()));
  let best: { x: Vector; value: number } | undefined;
  for (const start of starts) {
    const result = nelderMead(objective, start, 1, options.maxEvaluations ?? 120);
    if (!best || result.value < best.value) best = result;
  }
  return fromLog(clamp(best!.x), d);
}
