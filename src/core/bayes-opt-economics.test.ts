import { describe, expect, it } from 'vitest';
import { BayesOpt } from './bayes-opt.js';
import { cheapestNearlyMostLikelyFeasible } from './bayes-opt-priced.js';
import { ConfigSpace, type Config } from './config-space.js';
import { Rng } from './random.js';
import type { TrialEconomics } from './tuning-economics.js';

const space = new ConfigSpace();
const sloMs = 500;
const economics: TrialEconomics = { horizonS: 1800, windowRequests: 200, windowS: 20 };
const context = { minRatePerS: 0.1, maxRatePerS: 1000 };

/** A bowl in the encoded inputs whose optimum is cut by the SLO (as bayes-opt.test.ts's), the same at every rate. */
function truth(config: Config): { costUsdPerRequest: number; p99Ms: number } {
  const [u, v, w, z] = space.encode(config) as [number, number, number, number];
  const cost = 4e-7 * Math.exp(1.5 * ((u - 0.3) ** 2 + (v - 0.9) ** 2) + 0.8 * w + 0.3 * (1 - z));
  return { costUsdPerRequest: cost, p99Ms: sloMs * Math.exp(2.5 * (v - 0.55) - 1.5 * (u - 0.5)) };
}

/** Windows until the priced optimizer stops (or `limit`), at a steady rate. */
function windowsToStop(bo: BayesOpt, ratePerS: number, seed: number, limit = 40): { windows: number; last: string } {
  const rng = new Rng(seed);
  let config: Config = { memoryMb: 3538, batchSize: 8, processes: 2 };
  for (let i = 1; i <= limit; i++) {
    const t = truth(config);
    bo.observe(config, { costUsdPerRequest: t.costUsdPerRequest * Math.exp(0.03 * rng.normal()), p99Ms: t.p99Ms * Math.exp(0.03 * rng.normal()) }, { arrivalRatePerS: ratePerS });
    const next = bo.suggest({ arrivalRatePerS: ratePerS });
    if (bo.done) return { windows: i, last: next.reason };
    config = next;
  }
  return { windows: limit, last: 'limit' };
}

describe('BayesOpt with priced exploration', () => {
  it('stops once no trial pays for itself, sooner at a low arrival rate than at a high one', () => {
    let lowSooner = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const low = windowsToStop(new BayesOpt({ space, sloMs, seed, context, economics }), 0.5, seed);
      const high = windowsToStop(new BayesOpt({ space, sloMs, seed, context, economics }), 200, seed);
      expect(low.last).toMatch(/no trial pays for itself/);
      if (low.windows < high.windows) lowSooner++;
    }
    expect(lowSooner).toBeGreaterThanOrEqual(3);
  });

  it('serves the incumbent once stopped: the cheapest feasible window of the episode', () => {
    const bo = new BayesOpt({ space, sloMs, seed: 3, context, economics });
    windowsToStop(bo, 0.5, 3);
    const best = bo.best()!;
    const next = bo.suggest({ arrivalRatePerS: 0.5 });
    expect({ memoryMb: next.memoryMb, batchSize: next.batchSize, processes: next.processes }).toEqual(best.config);
    expect(best.p99Ms).toBeLessThanOrEqual(sloMs);
  });

  it('opens a warm episode without an initial design; an unpriced one keeps its design', () => {
    const reasons = (priced: boolean) => {
      const bo = new BayesOpt({ space, sloMs, seed: 5, context, ...(priced ? { economics } : {}) });
      windowsToStop(bo, 20, 5, 8);
      bo.restart({ keepHistory: true });
      const config = { memoryMb: 1769, batchSize: 4, processes: 1 };
      bo.observe(config, truth(config), { arrivalRatePerS: 60 });
      return bo.suggest({ arrivalRatePerS: 60 }).reason;
    };
    expect(reasons(true)).not.toMatch(/initial design/);
    expect(reasons(false)).toMatch(/initial design/);
  });

  it('keeps at most maxHistory observations, the current episode first', () => {
    const bo = new BayesOpt({ space, sloMs, seed: 7, context, maxHistory: 10 });
    for (let episode = 0; episode < 3; episode++) {
      bo.restart({ keepHistory: true });
      windowsToStop(bo, 20, episode, 6);
    }
    expect(bo.historySize).toBe(10);
    expect(bo.evaluations).toBe(6);
    expect(() => new BayesOpt({ space, sloMs, seed: 1, maxHistory: 0 })).toThrow(RangeError);
  });

  it('does not stop on a configuration that misses the SLO: it moves to the predicted cheapest likely feasible one', () => {
    // A horizon of one second: no trial can pay for itself, so only the fallback can move.
    const bo = new BayesOpt({ space, sloMs, seed: 5, context, economics: { ...economics, horizonS: 1 } });
    const rate = { arrivalRatePerS: 10 };
    const rng = new Rng(5);
    for (let i = 0; i < 12; i++) {
      const config = space.configs[Math.floor(rng.next() * space.configs.length)]!;
      bo.observe(config, truth(config), rate);
    }
    bo.restart({ keepHistory: true });
    const missing = space.configs.find((c) => truth(c).p99Ms > 2 * sloMs)!;
    bo.observe(missing, truth(missing), rate);
    const next = bo.suggest(rate);
    expect(bo.done).toBe(false);
    expect(next.reason).toMatch(/nothing feasible in this episode yet/);
    expect(next.pFeasible).toBeGreaterThanOrEqual(0.5);
    expect(truth(next).p99Ms).toBeLessThan(truth(missing).p99Ms);
  });

  it('with nothing likely feasible, falls back to the cheapest of those nearly as likely feasible as the most likely, not the dearest corner', () => {
    const scored = (i: number, logCost: number, pf: number) => ({ i, cost: { mean: logCost, variance: 0.01 }, pf });
    const corner = scored(0, -12, 0.45); // 10 GB, 6 processes: the safest and dearest
    const moderate = scored(1, -14, 0.4);
    const risky = scored(2, -15, 0.1);
    expect(cheapestNearlyMostLikelyFeasible([corner, moderate, risky])).toBe(moderate);
    expect(cheapestNearlyMostLikelyFeasible([corner, moderate, risky], 0.95)).toBe(corner);
    expect(cheapestNearlyMostLikelyFeasible([risky])).toBe(risky);
  });

  it('keeps misses at up to 20x the SLO and no cliff brackets when priced, as the cost matrix was measured', () => {
    // Below 1,769 MB nothing fits: those windows read 20x the SLO, where the cap matters.
    const cliff = (c: Config) => (c.memoryMb < 1769 ? { ...truth(c), p99Ms: 20 * sloMs } : truth(c));
    const path = (options: { economics?: TrialEconomics; missSlackCap?: number; cliffBrackets?: boolean }) => {
      const bo = new BayesOpt({ space, sloMs, seed: 2, context, ...options });
      const seen: string[] = [];
      for (let i = 0; i < 14 && !bo.done; i++) {
        const s = bo.suggest({ arrivalRatePerS: 20 });
        seen.push(`${s.memoryMb}/${s.batchSize}/${s.processes}`);
        bo.observe(s, cliff(s), { arrivalRatePerS: 20 });
      }
      return seen;
    };
    expect(path({ economics })).toEqual(path({ economics, missSlackCap: 3, cliffBrackets: false }));
    // The cap changes a priced path, so the comparison above can tell the defaults apart; unpriced, they differ.
    expect(path({ economics, missSlackCap: 1 })).not.toEqual(path({ economics, missSlackCap: 3 }));
    expect(path({})).not.toEqual(path({ missSlackCap: 3, cliffBrackets: false }));
  });

  it('draws the initial design from the memory sizes up to designMaxMemoryMb', () => {
    const designMemoryMb = (seed: number, designMaxMemoryMb?: number) => {
      const bo = new BayesOpt({ space, sloMs, seed, context, economics, initialPoints: 2, ...(designMaxMemoryMb === undefined ? {} : { designMaxMemoryMb }) });
      const sizes: number[] = [];
      for (let i = 0; i < 2; i++) {
        const s = bo.suggest({ arrivalRatePerS: 2 });
        expect(s.reason).toMatch(/initial design/);
        sizes.push(s.memoryMb);
        // Feasible and alike: nothing for the safety check to swap.
        bo.observe(s, { costUsdPerRequest: 1e-7, p99Ms: sloMs / 5 }, { arrivalRatePerS: 2 });
      }
      return sizes;
    };
    const seeds = [1, 2, 3, 4, 5, 6];
    // Uncapped, a two-point Latin hypercube puts one point in the upper half of the sizes.
    expect(seeds.every((seed) => Math.max(...designMemoryMb(seed)) > 3008)).toBe(true);
    expect(seeds.every((seed) => Math.max(...designMemoryMb(seed, 3008)) <= 3008)).toBe(true);
    expect(() => new BayesOpt({ space, sloMs, seed: 1, designMaxMemoryMb: 100 })).toThrow(/designMaxMemoryMb/);
  });
});
