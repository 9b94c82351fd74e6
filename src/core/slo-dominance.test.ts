import { describe, expect, it } from 'vitest';
import { BayesOpt } from './bayes-opt.js';
import { ConfigSpace, configKey, type Config } from './config-space.js';
import { bracketFeasibility, clearMisses, condemnedBy } from './slo-dominance.js';

describe('SLO dominance', () => {
  const miss = { memoryMb: 1769, batchSize: 4, processes: 1 };

  it('condemns no more memory at the same batch size and processes', () => {
    const misses = clearMisses([{ config: miss, p99Ms: 2000 }], 500);
    expect(misses).toEqual([miss]);
    expect(condemnedBy({ memoryMb: 1024, batchSize: 4, processes: 1 }, misses)).toBe(true);
    expect(condemnedBy({ memoryMb: 1769, batchSize: 4, processes: 1 }, misses)).toBe(true);
    // More memory or other processes may be faster; another batch size may keep up better.
    expect(condemnedBy({ memoryMb: 2048, batchSize: 4, processes: 1 }, misses)).toBe(false);
    expect(condemnedBy({ memoryMb: 1024, batchSize: 4, processes: 2 }, misses)).toBe(false);
    expect(condemnedBy({ memoryMb: 1024, batchSize: 2, processes: 1 }, misses)).toBe(false);
    expect(condemnedBy({ memoryMb: 1024, batchSize: 8, processes: 1 }, misses)).toBe(false);
  });

  it('takes a miss within the noise margin for no evidence', () => {
    expect(clearMisses([{ config: miss, p99Ms: 540 }], 500)).toEqual([]);
    expect(clearMisses([{ config: miss, p99Ms: 560 }], 500)).toEqual([miss]);
    expect(clearMisses([{ config: miss, p99Ms: 560 }], 500, 0.2)).toEqual([]);
  });
});

describe('a bracket of a miss and a pass', () => {
  const sizes = [512, 768, 1024, 1536, 1769, 2048, 3008];
  const at = (memoryMb: number, batchSize = 4, processes = 1): Config => ({ memoryMb, batchSize, processes });

  it('puts the boundary uniformly between the miss and the pass of a row', () => {
    const misses = [at(768)];
    const passes = [at(3008), at(2048, 8)];
    // Four sizes between 768 and 3008: the boundary sits in one of five gaps.
    expect([1024, 1536, 1769, 2048].map((m) => bracketFeasibility(at(m), misses, passes, sizes))).toEqual([0.2, 0.4, 0.6, 0.8]);
    // The closest miss below and pass above count.
    expect(bracketFeasibility(at(2048), [at(768), at(1769)], [at(3008), at(10240)], sizes)).toBe(0.5);
  });

  it('says nothing outside a bracket or across rows', () => {
    expect(bracketFeasibility(at(1024), [at(768)], [], sizes)).toBeUndefined();
    expect(bracketFeasibility(at(1024), [], [at(3008)], sizes)).toBeUndefined();
    expect(bracketFeasibility(at(512), [at(768)], [at(3008)], sizes)).toBeUndefined();
    expect(bracketFeasibility(at(1024, 8), [at(768)], [at(3008)], sizes)).toBeUndefined();
    expect(bracketFeasibility(at(1024, 4, 2), [at(768)], [at(3008)], sizes)).toBeUndefined();
  });
});

describe('BayesOpt with sloDominance', () => {
  // One process, memory 512..3538 MB x batch 1..64: p99 falls with memory, grows with the
  // batch, and nothing below 1536 MB fits in memory (20x the SLO, as a failed window reads).
  const space = new ConfigSpace({ memoryMb: [512, 768, 1024, 1536, 1769, 2048, 3008, 3538], maxProcesses: 1 });
  const sloMs = 500;
  const truth = (c: Config) => ({
    costUsdPerRequest: (1e-7 * c.memoryMb) / 1769 / Math.sqrt(c.batchSize),
    p99Ms: c.memoryMb < 1536 ? 20 * sloMs : (40 * c.batchSize * 1769) / c.memoryMb,
  });

  it('never proposes a configuration that a clear miss of the episode condemns', () => {
    for (const seed of [1, 2, 3]) {
      const bo = new BayesOpt({ space, sloMs, seed, minEvaluations: 100, sloDominance: true });
      const seen: { config: Config; p99Ms: number }[] = [];
      for (let i = 0; i < 20; i++) {
        const s = bo.suggest();
        const config = { memoryMb: s.memoryMb, batchSize: s.batchSize, processes: s.processes };
        expect(condemnedBy(config, clearMisses(seen, sloMs)), `seed ${seed}, evaluation ${i + 1}: ${configKey(config)}`).toBe(false);
        const t = truth(config);
        seen.push({ config, p99Ms: t.p99Ms });
        bo.observe(config, t);
      }
    }
  });
});
