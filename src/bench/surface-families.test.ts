import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigSpace } from '../core/config-space.js';
import { lambdaPricing } from '../core/pricing.js';
import { devFamilies, familyDefinitions, familyPoint, generateFamily, holdoutFamilies, parseFamilyNames } from './surface-families.js';
import { SyntheticLatency, type SyntheticModelParams } from './synthetic-latency.js';
import { registerTunerBench } from './tuner-bench.js';
import { parseSurfaceFile } from './tuner-surfaces.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-families-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const params: SyntheticModelParams = {
  perItemMs: 10, ioMsPerItem: 0, fixedMs: 5, batchExponent: 1, parallelFraction: 0.8, processOverheadMs: 1,
  p99OverP50: 1.5, throttleTail: 0.5, coldPerInvocation: 0, initMs: 1000, memoryPerProcessMb: 500,
};
const gbSecondUsd = lambdaPricing.gbSecondUsd.x86_64;

describe('synthetic latency (hand-checked)', () => {
  it('splits a batch over processes by Amdahl, throttles fractional shares and adds their CFS tail', () => {
    const model = new SyntheticLatency(params);
    // 4 items on 2 processes at 1 vCPU: each busy worker at 0.5 vCPU. Serial (5 + 0.2 * 40) / 1
    // = 13 ms, parallel 0.8 * 40 / 2 / 0.5 = 32 ms, one extra worker 1 ms: p50 46 ms; p99 46 *
    // 1.5 + 0.5 * 100 * (1 - 0.5) = 94 ms.
    expect(model.serviceMs(4, 2, 1).p50Ms).toBeCloseTo(46, 9);
    expect(model.serviceMs(4, 2, 1).p99Ms).toBeCloseTo(94, 9);
    // At 2 vCPUs each worker has a whole one: 13 + 16 + 1 = 30 ms, no throttling tail.
    expect(model.serviceMs(4, 2, 2).p50Ms).toBeCloseTo(30, 9);
    expect(model.serviceMs(4, 2, 2).p99Ms).toBeCloseTo(45, 9);
    // One process gains nothing from a second vCPU; one item keeps one worker busy.
    expect(model.serviceMs(4, 1, 2)).toEqual(model.serviceMs(4, 1, 1));
    expect(model.serviceMs(1, 2, 2).p50Ms).toBeCloseTo(15, 9);
  });

  it('prices a point like the shipped surfaces and adds billed cold starts to cost and p99', () => {
    const config = { memoryMb: 3538, batchSize: 4, processes: 2 };
    const gb = 3538 / 1024;
    const warm = familyPoint(new SyntheticLatency(params), config, { arrivalRatePerS: 100, sloMs: 1000 });
    // Full batches (3 gaps of 10 ms + p99 45 ms is far inside 900 ms): 30 ms billed over 4 requests.
    expect(warm.costUsd).toBeCloseTo((0.03 * gb * gbSecondUsd + lambdaPricing.requestUsd) / 4, 15);
    expect(warm.p99Ms).toBeCloseTo(75, 9);
    expect(warm).not.toHaveProperty('meanBatchSize');
    // 2% of invocations load the model for 1 s: the p99 request is a cold one at its median
    // service time (1000 + 30 ms), after the 30 ms its batch took to fill.
    const cold = familyPoint(new SyntheticLatency({ ...params, coldPerInvocation: 0.02 }), config, { arrivalRatePerS: 100, sloMs: 2000 });
    expect(cold.p99Ms).toBeGreaterThan(1055);
    expect(cold.p99Ms).toBeLessThan(1065);
    expect(cold.costUsd).toBeCloseTo(warm.costUsd + (0.02 * 1 * gb * gbSecondUsd) / 4, 15);
  });

  it('fails every request of a configuration that does not fit in memory', () => {
    const model = new SyntheticLatency(params);
    // 128 MB runtime + 500 MB per process: 512 MB cannot hold one.
    expect(familyPoint(model, { memoryMb: 512, batchSize: 1, processes: 1 }, { arrivalRatePerS: 1, sloMs: 5000 }).p99Ms).toBe(100_000);
    expect(familyPoint(model, { memoryMb: 768, batchSize: 1, processes: 1 }, { arrivalRatePerS: 1, sloMs: 5000 }).p99Ms).toBeLessThan(5000);
    expect(() => new SyntheticLatency({ ...params, parallelFraction: 1.5 })).toThrow(/parallel fraction/);
  });
});

describe('surface families', () => {
  const space = new ConfigSpace();
  // Generated once for the file: every family draws and prices thousands of configurations.
  const generated = new Map(familyDefinitions.map((f) => [f.name, generateFamily(f.name, space)]));
  const family = (name: string) => generated.get(name)!;
  it('are at least 4 families of at least 9 cases, and the holdouts kept out of dev', () => {
    expect(familyDefinitions.length).toBeGreaterThanOrEqual(5);
    for (const holdout of holdoutFamilies) expect(devFamilies).not.toContain(holdout);
    expect(holdoutFamilies.every((name) => familyDefinitions.some((f) => f.name === name))).toBe(true);
    expect(devFamilies.length).toBeGreaterThanOrEqual(4);
    for (const f of familyDefinitions) expect(f.models * f.casesPerModel).toBeGreaterThanOrEqual(9);
  });

  it('are the same for the same seed', () => {
    expect(JSON.stringify(generateFamily('heavy-tail', space))).toBe(JSON.stringify(family('heavy-tail')));
  });

  it('keep only feasible and informative cases, within their ranges', () => {
    // The holdout too: it is generated (and its cases checked) like the others, only not run.
    for (const definition of familyDefinitions) {
      const { models, file } = family(definition.name);
      expect(file.cases).toHaveLength(definition.models * definition.casesPerModel);
      for (const m of models) {
        const [low, high] = definition.params.perItemMs;
        expect(m.params.perItemMs).toBeGreaterThanOrEqual(low);
        expect(m.params.perItemMs).toBeLessThanOrEqual(high);
      }
      for (const c of file.cases) {
        expect(c.points).toHaveLength(space.size);
        const feasible = c.points.filter((p) => p.p99Ms <= c.sloMs);
        const best = Math.min(...feasible.map((p) => p.costUsd));
        const within = feasible.filter((p) => p.costUsd <= best * 1.05).length;
        expect(within).toBeGreaterThanOrEqual(1);
        expect(within).toBeLessThanOrEqual(0.1 * space.size);
        expect(c.arrivalRatePerS).toBeGreaterThanOrEqual(definition.arrivalRatePerS[0]);
        expect(c.sloMs).toBeLessThanOrEqual(definition.sloMs[1]);
      }
    }
    // Families differ: the small-fast models are two orders of magnitude faster than the big-slow ones.
    const perItem = (name: string) => family(name).models.map((m) => m.params.perItemMs);
    expect(Math.max(...perItem('small-fast')) * 10).toBeLessThan(Math.min(...perItem('big-slow')));
  });

  it('parses --families names, dev for all but the holdout, and rejects unknown ones', () => {
    expect(parseFamilyNames('dev')).toEqual([...devFamilies]);
    expect(parseFamilyNames('small-fast, big-slow,small-fast')).toEqual(['small-fast', 'big-slow']);
    expect(() => parseFamilyNames('nope')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
    expect(() => parseFamilyNames(' , ')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
  });

  it('are written in the --surface format, cost and p99 only', async () => {
    const file = join(dir, 'families.json');
    const program = new Command('ferry').exitOverride();
    registerTunerBench(program.command('bench'));
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await program.parseAsync(['node', 'ferry', 'bench', 'tuner', '--families', 'small-fast,big-slow', '--write-surface', file]);
    } finally {
      error.mockRestore();
    }
    const surfaces = parseSurfaceFile(readFileSync(file, 'utf8'));
    expect(surfaces.cases.map((c) => c.model)).toEqual([...family('small-fast').file.cases, ...family('big-slow').file.cases].map((c) => c.model));
    expect(surfaces.cases.every((c) => c.points.every((p) => p.meanBatchSize === undefined))).toBe(true);
  });
});
