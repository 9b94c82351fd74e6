import { describe, expect, it } from 'vitest';
import { cholesky, GaussianProcess, logMarginalLikelihood, matern52, nelderMead } from './gaussian-process.js';
import { Rng } from './random.js';

/*
 * Hand computation for the 1-D tests: Matern 5/2 with l = 1, s2 = 1,
 *   k(r) = (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r)
 *   rho = k(1)    = (1 + 2.2360680 + 1.6666667) * exp(-2.2360680) = 4.9027347 * 0.1068779 = 0.5239941
 *   k1  = k(0.25) = (1 + 0.5590170 + 0.1041667) * exp(-0.5590170) = 1.6631837 * 0.5717723 = 0.9509599
 *   k2  = k(0.75) = (1 + 1.6770510 + 0.9375000) * exp(-1.6770510) = 3.6145510 * 0.1869246 = 0.6756478
 * Data x = [0, 1], y = [1, -1]: mean 0, population std 1, so the standardized targets are y.
 * Noise-free, K = [[1, rho], [rho, 1]], K^-1 y = [1, -1] / (1 - rho), so at x* = 0.25:
 *   mean = (k1 - k2) / (1 - rho) = 0.2753121 / 0.4760059 = 0.5783797
 *   var  = 1 - (k1^2 - 2 rho k1 k2 + k2^2) / (1 - rho^2) = 1 - 0.6918449 / 0.7254302 = 0.0523173
 * With noise 0.1, K = [[1.1, rho], [rho, 1.1]]: y^T K^-1 y = (2.2 + 2 rho) / (1.21 - rho^2)
 * = 2 / (1.1 - rho), so the log marginal likelihood is
 *   -1 / (1.1 - rho) - log(1.21 - rho^2) / 2 - log(2 pi)
 *   = -1 / 0.5760059 - log(0.9354302) / 2 - 1.8378771 = -1.7360933 + 0.0333742 - 1.8378771 = -3.5405962
 */
const hp1 = { lengthScales: [1], signalVariance: 1, noiseVariance: 0 };

describe('matern52', () => {
  it('is 1 at distance 0 and matches the closed form', () => {
    expect(matern52(0)).toBe(1);
    expect(matern52(1)).toBeCloseTo(0.5239941088318203, 12);
    expect(matern52(0.25)).toBeCloseTo(0.950959921678633, 12);
  });
});

describe('GaussianProcess', () => {
  it('matches a hand-computed two-point posterior', () => {
    const gp = GaussianProcess.fit([[0], [1]], [1, -1], { hyperparameters: hp1 });
    const at = gp.predict([0.25]);
    expect(at.mean).toBeCloseTo(0.5783796519499411, 7);
    expect(at.variance).toBeCloseTo(0.05231727687810461, 7);
  });

  it('standardizes targets: shifting y shifts the mean, scaling y scales mean and variance', () => {
    const shifted = GaussianProcess.fit([[0], [1]], [3, 1], { hyperparameters: hp1 }).predict([0.25]);
    expect(shifted.mean).toBeCloseTo(2 + 0.5783796519499411, 7);
    expect(shifted.variance).toBeCloseTo(0.05231727687810461, 7);
    const scaled = GaussianProcess.fit([[0], [1]], [2, -2], { hyperparameters: hp1 }).predict([0.25]);
    expect(scaled.mean).toBeCloseTo(2 * 0.5783796519499411, 7);
    expect(scaled.variance).toBeCloseTo(4 * 0.05231727687810461, 6);
  });

  it('standardizes by at least minTargetStd: nearly equal targets stay nearly constant, not magnified', () => {
    // Two misses at a clamp, 0.03 apart (the noise): divided by their own spread they are
    // +-1, and far from both the posterior is sure of the mean to within 0.03.
    const hp = { lengthScales: [0.3], signalVariance: 1, noiseVariance: 0.01 };
    const x = [[0], [0.2]];
    const y = [3, 2.97];
    const far = [1];
    const raw = GaussianProcess.fit(x, y, { hyperparameters: hp }).predict(far);
    const floored = GaussianProcess.fit(x, y, { hyperparameters: hp, minTargetStd: 0.5 });
    const prediction = floored.predict(far);
    expect(Math.sqrt(raw.variance)).toBeLessThan(0.02);
    expect(Math.sqrt(prediction.variance)).toBeGreaterThan(0.49);
    expect(prediction.mean).toBeCloseTo(2.985, 2);
    // Next to the lower one, the difference is what it is (0.03), not a standardized unit.
    expect(Math.abs(floored.predict([0.2]).mean - 2.97)).toBeLessThan(0.01);
    // A spread above the floor is standardized as before.
    const wide = [[0], [1]];
    expect(GaussianProcess.fit(wide, [1, -1], { hyperparameters: hp1, minTargetStd: 0.5 }).predict([0.25]).mean).toBeCloseTo(0.5783797, 6);
  });

  it('interpolates noise-free data and its variance shrinks near data', () => {
    const x = [[0.1], [0.4], [0.8]];
    const y = [2, -1, 0.5];
    const gp = GaussianProcess.fit(x, y, { hyperparameters: { lengthScales: [0.3], signalVariance: 1, noiseVariance: 0 } });
    x.forEach((xi, i) => {
      expect(gp.predict(xi).mean).toBeCloseTo(y[i]!, 6);
      expect(gp.predict(xi).variance).toBeLessThan(1e-6);
    });
    const near = gp.predict([0.45]).variance;
    const between = gp.predict([0.6]).variance;
    const far = gp.predict([10]).variance;
    expect(near).toBeLessThan(between);
    expect(between).toBeLessThan(far);
    // Far from the data: the prior, signal variance times the targets' variance.
    const std2 = y.reduce((s, v) => s + (v - 0.5) ** 2, 0) / 3;
    expect(far).toBeCloseTo(std2, 6);
    expect(gp.predict([10]).mean).toBeCloseTo(0.5, 6);
  });

  it('computes the log marginal likelihood of a tiny case by hand', () => {
    const hp = { lengthScales: [1], signalVariance: 1, noiseVariance: 0.1 };
    expect(logMarginalLikelihood([[0], [1]], [1, -1], hp)).toBeCloseTo(-3.5405960330144692, 9);
    // y = [2, -2] has std 2: the density of y is that of z divided by 2^n.
    expect(logMarginalLikelihood([[0], [1]], [2, -2], hp)).toBeCloseTo(-3.5405960330144692 - 2 * Math.log(2), 9);
    expect(GaussianProcess.fit([[0], [1]], [1, -1], { hyperparameters: hp }).logMarginalLikelihood).toBeCloseTo(-3.5405960330144692, 9);
  });

  it('survives duplicate inputs without noise by retrying with jitter', () => {
    const singular = Float64Array.from([1, 1, 1, 1]);
    expect(cholesky(singular, 2)).toBeUndefined();
    expect(cholesky(singular, 2, 1e-8)).toBeDefined();
    const gp = GaussianProcess.fit([[0.5], [0.5], [0.9]], [1, 1, 0], { hyperparameters: { lengthScales: [0.5], signalVariance: 1, noiseVariance: 0 } });
    expect(gp.predict([0.5]).mean).toBeCloseTo(1, 4);
  });

  it('fits hyperparameters: the optimum beats the default point, deterministically for a seed', () => {
    const rng = new Rng(5);
    const x = Array.from({ length: 30 }, () => [rng.next(), rng.next(), rng.next()]);
    // Depends strongly on x0, weakly on x1, not at all on x2.
    const y = x.map(([a, b]) => Math.sin(6 * a!) + 0.3 * b! + 0.01 * rng.normal());
    const fit = (seed: number) => GaussianProcess.fit(x, y, { rng: new Rng(seed), restarts: 2 });
    const gp = fit(1);
    const defaults = logMarginalLikelihood(x, y, { lengthScales: [0.5, 0.5, 0.5], signalVariance: 1, noiseVariance: 0.01 });
    expect(gp.logMarginalLikelihood).toBeGreaterThan(defaults);
    const [l0, l1, l2] = gp.hyperparameters.lengthScales;
    expect(l0!).toBeLessThan(l1!);
    expect(l2!).toBeGreaterThan(3);
    expect(fit(1).hyperparameters).toEqual(gp.hyperparameters);
    expect(() => GaussianProcess.fit(x, y, { restarts: 1 })).toThrow(/rng/);
  });

  it('rejects empty or mismatched data', () => {
    expect(() => GaussianProcess.fit([], [], { hyperparameters: hp1 })).toThrow(/at least one/);
    expect(() => GaussianProcess.fit([[0]], [1, 2], { hyperparameters: hp1 })).toThrow(/as many targets/);
    expect(() => GaussianProcess.fit([[0]], [Number.NaN], { hyperparameters: hp1 })).toThrow(/finite/);
  });
});

describe('nelderMead', () => {
  it('minimizes a shifted quadratic', () => {
    const result = nelderMead(([a, b]) => (a! - 1) ** 2 + 10 * (b! + 2) ** 2, [0, 0], 1, 500);
    expect(result.x[0]).toBeCloseTo(1, 2);
    expect(result.x[1]).toBeCloseTo(-2, 2);
  });
});
