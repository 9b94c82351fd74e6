import { describe, expect, it } from 'vitest';
import { BayesOpt, type Suggestion } from './bayes-opt.js';
import { ConfigSpace, configKey, type Config } from './config-space.js';
import { Rng } from './random.js';

const space = new ConfigSpace();
const sloMs = 500;

/**
 * A synthetic surface on the encoded inputs (u: memory, v: batch, w: processes per vCPU):
 * cost is a smooth bowl whose minimum (u = 0.3, v = 0.9) lies where p99 breaks the SLO;
 * feasible is v <= 0.55 + 0.6 (u - 0.5), so the constrained optimum is on that boundary.
 */
function truth(config: Config): { costUsdPerRequest: number; p99Ms: number } {
  const [u, v, w] = space.encode(config) as [number, number, number];
  const cost = 1e-7 * Math.exp(1.5 * ((u - 0.3) ** 2 + (v - 0.9) ** 2) + 0.8 * (w - 0.55) ** 2);
  return { costUsdPerRequest: cost, p99Ms: sloMs * Math.exp(2.5 * (v - 0.55) - 1.5 * (u - 0.5)) };
}

const feasible = space.configs.filter((c) => truth(c).p99Ms <= sloMs);
const optimum = Math.min(...feasible.map((c) => truth(c).costUsdPerRequest));
const unconstrained = Math.min(...space.configs.map((c) => truth(c).costUsdPerRequest));
const target = new Set(feasible.filter((c) => truth(c).costUsdPerRequest <= 1.05 * optimum).map(configKey));

function noisy(config: Config, rng: Rng) {
  const t = truth(config);
  return { costUsdPerRequest: t.costUsdPerRequest * Math.exp(0.03 * rng.normal()), p99Ms: t.p99Ms * Math.exp(0.03 * rng.normal()) };
}

/** `evaluations` rounds of suggest + observe (3% log-normal noise); every suggestion. */
function run(bo: BayesOpt, seed: number, evaluations: number): Suggestion[] {
  const rng = new Rng(seed + 1000);
  const out: Suggestion[] = [];
  for (let i = 0; i < evaluations; i++) {
    const s = bo.suggest();
    out.push(s);
    bo.observe(s, noisy(s, rng));
  }
  return out;
}

describe('BayesOpt', () => {
  it('has a synthetic surface whose constraint cuts the bowl', () => {
    expect(optimum).toBeGreaterThan(1.2 * unconstrained);
    expect(target.size).toBeGreaterThan(0);
  });

  it('finds the constrained optimum within 15 evaluations for most seeds', () => {
    let found = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const suggestions = run(new BayesOpt({ space, sloMs, seed, minEvaluations: 100 }), seed, 15);
      if (suggestions.some((s) => target.has(configKey(s)))) found++;
    }
    expect(found).toBeGreaterThanOrEqual(9);
  });

  it('is deterministic for a seed', () => {
    const keys = (seed: number) => run(new BayesOpt({ space, sloMs, seed }), 1, 12).map((s) => `${configKey(s)} ${s.reason}`);
    expect(keys(3)).toEqual(keys(3));
    expect(keys(3)).not.toEqual(keys(4));
  });

  it('never proposes a configuration twice in an episode, until all were evaluated', () => {
    const suggestions = run(new BayesOpt({ space, sloMs, seed: 2, minEvaluations: 1000 }), 2, 45);
    expect(new Set(suggestions.map(configKey)).size).toBe(45);
    const tiny = ConfigSpace.fromConfigs([512, 1024, 2048].flatMap((memoryMb) => [1, 8].map((batchSize) => ({ memoryMb, batchSize, processes: 1 }))));
    const bo = new BayesOpt({ space: tiny, sloMs: 1e6, seed: 1, minEvaluations: 1000 });
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const s = bo.suggest();
      seen.push(configKey(s));
      bo.observe(s, { costUsdPerRequest: s.memoryMb / s.batchSize, p99Ms: 10 });
    }
    expect(new Set(seen).size).toBe(6);
    expect(bo.done).toBe(true);
    const last = bo.suggest();
    expect(configKey(last)).toBe('512/8/1');
    expect(last.reason).toMatch(/exhausted/);
  });

  it('explores safely: once it has data, every proposal has P(feasible) >= 0.1 unless none has', () => {
    // Feasible only with lots of memory and small batches (about a tenth of the space).
    const strict = (c: Config) => {
      const [u, v] = space.encode(c);
      return { costUsdPerRequest: 1e-7 * Math.exp(u! - v!), p99Ms: sloMs * Math.exp(3 * (v! - u!) + 1) };
    };
    for (const seed of [1, 2, 3]) {
      const bo = new BayesOpt({ space, sloMs, seed, minEvaluations: 100 });
      for (let i = 0; i < 20; i++) {
        const s = bo.suggest();
        if (i > 0) {
          expect(s.pFeasible).toBeDefined();
          if (!/no point has P\(feasible\)/.test(s.reason)) expect(s.pFeasible!).toBeGreaterThanOrEqual(0.1);
        }
        bo.observe(s, strict(s));
      }
      // And it found a configuration that meets the SLO.
      const best = bo.best();
      expect(best).toBeDefined();
      expect(best!.p99Ms).toBeLessThanOrEqual(sloMs);
    }
  });

  it('stops exploring when the best feasible cost stalls, then exploits the incumbent', () => {
    // Every configuration costs the same: nothing improves after the first feasible one.
    const bo = new BayesOpt({ space, sloMs, seed: 1, minEvaluations: 8 });
    const rng = new Rng(9);
    let n = 0;
    while (!bo.done) {
      const s = bo.suggest();
      bo.observe(s, { costUsdPerRequest: 1e-7 * Math.exp(0.001 * rng.normal()), p99Ms: 100 });
      n++;
    }
    // At least the minimum; past it, only while a neighbour of the incumbent is unexplored,
    // and never past 1.5x the minimum.
    expect(n).toBeGreaterThanOrEqual(8);
    expect(n).toBeLessThanOrEqual(12);
    const exploit = bo.suggest();
    expect(exploit.reason).toMatch(/stopping rule/);
    expect(configKey(exploit)).toBe(configKey(bo.best()!.config));
    // On the bowl, with the default minimum of 20 evaluations, it stops after 20 and not before.
    const bowl = new BayesOpt({ space, sloMs, seed: 4 });
    const suggestions = run(bowl, 4, 19);
    expect(suggestions).toHaveLength(19);
    expect(bowl.done).toBe(false);
    run(bowl, 5, 21);
    expect(bowl.done).toBe(true);
    expect(bowl.evaluations).toBeGreaterThanOrEqual(20);
  });

  it('steps to the incumbent\'s neighbours, never twice in a row', () => {
    const suggestions = run(new BayesOpt({ space, sloMs, seed: 1, minEvaluations: 100 }), 1, 14);
    expect(suggestions.some((s) => /local step/.test(s.reason))).toBe(true);
    // Local steps never follow each other.
    for (let i = 1; i < suggestions.length; i++) {
      expect(/local step/.test(suggestions[i]!.reason) && /local step/.test(suggestions[i - 1]!.reason)).toBe(false);
    }
  });

  it('restarts warm (from earlier episodes, with the rate as context) or cold', () => {
    const context = { minRatePerS: 1, maxRatePerS: 200 };
    const make = () => new BayesOpt({ space, sloMs, seed: 6, context });
    expect(() => make().suggest()).toThrow(/arrivalRatePerS/);
    const at20 = { arrivalRatePerS: 20 };
    const warm = make();
    const rng = new Rng(1);
    for (let i = 0; i < 12; i++) {
      const s = warm.suggest(at20);
      warm.observe(s, noisy(s, rng), at20);
    }
    warm.restart({ keepHistory: true });
    expect(warm.evaluations).toBe(0);
    expect(warm.best()).toBeUndefined();
    const at50 = { arrivalRatePerS: 50 };
    const next = warm.suggest(at50);
    expect(next.reason).toMatch(/warm start/);
    expect(next.reason).not.toMatch(/initial design/);
    // A configuration evaluated in the earlier episode may be proposed again (another rate).
    warm.restart({ keepHistory: false });
    expect(warm.suggest(at50).reason).toMatch(/initial design 1\//);
  });
});
