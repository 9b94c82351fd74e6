import { describe, expect, it } from 'vitest';
import { billedDurationMs, invocationCostUsd } from '../../src/core/billing.js';
import { LatencyModel } from '../../src/core/latency-model.js';
import { memoryNeedMb } from '../../src/core/memory-need.js';
import { Rng } from '../../src/core/random.js';
import { vcpusForMemory } from '../../src/core/pricing.js';
import { combineObservers } from '../../src/serving/events.js';
import type { ModelConfig } from '../../src/serving/model-config.js';
import { aimdPolicy } from '../../src/sim/policies/aimd.js';
import { batchPolicy } from '../../src/sim/policies/batch.js';
import type { PolicyOptions } from '../../src/sim/policies/index.js';
import { powerTuningDefaultMemoryMb, runPowerTuning } from '../../src/sim/policies/power-tuned.js';
import { staticPolicy } from '../../src/sim/policies/static.js';
import { runPolicy } from '../../src/sim/run-policies.js';
import { buildSetup } from '../../src/sim/setup.js';
import { simulatePolicy, type Policy } from '../../src/sim/simulate.js';
import { poissonArrivals } from '../../src/trace/generators.js';
import { lambdaSetup, row, syntheticModel } from './fixtures.js';

const options: PolicyOptions = {
  static: { memoryMb: 3008, batchSize: 8, processes: 1, threadsPerProcess: 1 }, baselineMemoryMb: 3008, oracleSegmentS: 300,
};

/** Wraps a policy to see every configuration it puts in force, and when (after the first, at start). */
function watched(policy: Policy) {
  const applied: { atMs: number; config: ModelConfig }[] = [];
  let firstArrivalMs: number | undefined;
  const wrapped: Policy = {
    name: policy.name,
    create: (setup, rng) => {
      const run = policy.create(setup, rng);
      const spy = {
        onConfig: (_model: string, config: ModelConfig, atMs: number) => void applied.push({ atMs, config }),
        onArrivals: (_model: string, _count: number, atMs: number) => void (firstArrivalMs ??= atMs),
      };
      return { ...run, observer: combineObservers([...(run.observer ? [run.observer] : []), spy]) };
    },
  };
  return { wrapped, applied, firstArrivalMs: () => firstArrivalMs! };
}

describe('aimd', () => {
  it('grows its batch size when batch 1 cannot keep up within the SLO', () => {
    // Batch 1 at 3008 MB takes about 14 ms: 2 invocations in flight serve at most ~140 req/s; 250 arrive.
    // Batch 16 (p99 about 117 ms) serves ~270 req/s, well within the SLO: batching can keep up.
    const scheduleMs = poissonArrivals({ ratePerS: 250, durationS: 20, seed: 3 });
    const setup = lambdaSetup(scheduleMs, { maxInFlight: 2, platform: { concurrency: 2 } });
    const one = setup.latency.forMemory(1, 1, 1, 3008).p99Ms + 1;
    expect(2 * (1000 / one)).toBeLessThan(150);
    const sixteen = setup.latency.forMemory(16, 1, 1, 3008).p99Ms + 1;
    expect(2 * 16 * (1000 / sixteen)).toBeGreaterThan(260);
    expect(sixteen).toBeLessThan(setup.sloMs / 2);
    const { wrapped, applied } = watched(aimdPolicy({ memoryMb: 3008 }));
    const result = simulatePolicy(wrapped, setup);
    expect(result.answered).toBe(scheduleMs.length);
    const sizes = applied.map((a) => a.config.batchSize);
    expect(sizes[0]).toBe(1);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(16);
    // It settles on batches that keep up: the last window's configuration batches, and most requests meet the SLO.
    expect(result.windows.at(-1)!.config.batchSize).toBeGreaterThan(1);
    expect(result.sloAttainment).toBeGreaterThan(0.9);
    // Memory and processes stay fixed (Clipper tunes the batch alone).
    expect(new Set(applied.map((a) => `${a.config.memoryMb}/${a.config.processes}`))).toEqual(new Set(['3008/1']));
  });
});

describe('aimd and the memory size', () => {
  it('grows its batch no further than what fits the memory size, where a larger one would be killed', () => {
    // 100 + 125 per process + 20 per item in 512 MB: batches of 14 fit, 15 do not.
    const scheduleMs = poissonArrivals({ ratePerS: 40, durationS: 30, seed: 3 });
    // A loose SLO, so that every batch meets it and the batch size only grows.
    const setup = lambdaSetup(scheduleMs, { sloMs: 10_000, maxInFlight: 2, platform: { concurrency: 2, memoryNeedMb: { baseMb: 100, perProcessMb: 125, perItemMb: 20 } } });
    const { wrapped, applied } = watched(aimdPolicy({ memoryMb: 512 }));
    const result = simulatePolicy(wrapped, setup);
    expect(Math.max(...applied.map((a) => a.config.batchSize))).toBe(14);
    expect(result.errors).toBe(0);
  });
});

describe('power-tuned', () => {
  /** Quota-bound below 1 vCPU, little gain above: the cheapest is neither the smallest nor the largest. */
  const latency = new LatencyModel([
    row(1, 100, 180, { vcpus: 0.25 }), row(1, 40, 90, { vcpus: 0.5 }), row(1, 25, 40, { vcpus: 1 }),
  ]);
  const initMs = 1060;

  /** Power Tuning's cost rule, computed here from the latency model and the same uniform draws. */
  function expectedPick(seed: number) {
    const rng = new Rng(seed);
    const costs = new Map<number, { averageMs: number; costUsd: number }>();
    for (const memoryMb of powerTuningDefaultMemoryMb) {
      // 128 MB cannot hold the model (INIT fails, no handler draw): Power Tuning's user drops it.
      if (memoryMb < 225) continue;
      const cell = latency.forMemory(1, 1, 1, memoryMb);
      const durationsMs = Array.from({ length: 10 }, (_, i) => latency.sampleMs(cell, rng.next()) + (i === 0 ? initMs / Math.min(1, vcpusForMemory(memoryMb)) : 0));
      const middle = durationsMs.sort((a, b) => a - b).slice(2, 8);
      const averageMs = middle.reduce((a, b) => a + b, 0) / middle.length;
      costs.set(memoryMb, { averageMs, costUsd: invocationCostUsd(billedDurationMs(averageMs), memoryMb) });
    }
    const [memoryMb] = [...costs.entries()].reduce((a, b) => (b[1].costUsd < a[1].costUsd ? b : a));
    return { memoryMb, costs };
  }

  it('picks the memory that the cheapest average of the middle 60% of 10 invocations picks', () => {
    const setup = lambdaSetup([], { latency, platform: { initMs, memoryNeedMb: { baseMb: 100, perProcessMb: 125, perItemMb: 0 } } });
    for (const seed of [1, 2, 3]) {
      const expected = expectedPick(seed);
      const tuning = runPowerTuning(setup, 1, new Rng(seed));
      expect(tuning.memoryMb, `seed ${seed}`).toBe(expected.memoryMb);
      expect(tuning.tried[0]).toMatchObject({ memoryMb: 128, failed: expect.stringContaining('Runtime.OutOfMemory') });
      for (const t of tuning.tried.slice(1)) expect(t.averageMs, `${t.memoryMb} MB`).toBeCloseTo(expected.costs.get(t.memoryMb)!.averageMs, 6);
      // 6 memory sizes, 10 invocations each, but 128 MB stops at its first failure; each size
      // starts cold (128 MB's failed INIT too: billed, with its Init Duration, as Lambda does).
      expect(tuning.invocations).toBe(1 + 5 * 10);
      expect(tuning.coldStarts).toBe(6);
    }
    // By hand at the medians: 25-36 ms around 1 vCPU beats 84 ms at 512 MB and 3008 MB's 25 ms at twice the memory.
    expect(expectedPick(1).memoryMb).toBe(1024);
  });

  it('serves per request at the picked memory, with the tuning billed to the run', () => {
    const setup = lambdaSetup(poissonArrivals({ ratePerS: 5, durationS: 20, seed: 1 }), { latency, platform: { initMs, memoryNeedMb: { baseMb: 100, perProcessMb: 125, perItemMb: 0 } } });
    const { row: r, result } = runPolicy('power-tuned', setup, options);
    expect(result.windows.every((w) => w.config.memoryMb === 1024 && w.config.batchSize === 1)).toBe(true);
    expect(r.invocations).toBe(r.requests + 1 + 51); // traffic, warm-up, tuning
    expect(r.detail).toContain('1024 MB, batch 1');
  });
});

describe('per-request', () => {
  it('reports the cheaper of its 1- and 2-thread variants and shows both', () => {
    const scheduleMs = poissonArrivals({ ratePerS: 10, durationS: 20, seed: 5 });
    for (const [factor, cheaper] of [[0.8, 'per-request (2 threads)'], [1.3, 'per-request (1 thread)']] as const) {
      const { row: r } = runPolicy('per-request', lambdaSetup(scheduleMs, { latency: syntheticModel(1.3, factor) }), options);
      expect(r.name).toBe('per-request');
      expect(r.variants!.map((v) => v.name)).toEqual(['per-request (1 thread)', 'per-request (2 threads)']);
      const [one, two] = r.variants!;
      expect(one!.sloAttainment).toBeGreaterThanOrEqual(0.99);
      expect(two!.sloAttainment).toBeGreaterThanOrEqual(0.99);
      expect(r.costPerMillionUsd).toBe(Math.min(one!.costPerMillionUsd, two!.costPerMillionUsd));
      expect(r.detail.startsWith(`${cheaper}:`), r.detail).toBe(true);
      expect(r.invocations).toBe(scheduleMs.length + 1);
    }
  });
});

describe('oracle', () => {
  it('is no dearer than any static configuration of its grid on a stationary trace', () => {
    // p99 = p50: draws do not depend on the seed, so the oracle's search and these runs see the same service times.
    const scheduleMs = poissonArrivals({ ratePerS: 30, durationS: 60, seed: 8 });
    const setup = lambdaSetup(scheduleMs, { latency: syntheticModel(1) });
    const { row: oracle } = runPolicy('oracle', setup, { ...options, oracleSegmentS: 600 });
    expect(oracle.answered).toBe(scheduleMs.length);
    expect(oracle.sloAttainment).toBeGreaterThanOrEqual(0.99);
    const statics = [
      { memoryMb: 1024, batchSize: 1, processes: 1 }, { memoryMb: 1769, batchSize: 4, processes: 1 }, { memoryMb: 1769, batchSize: 8, processes: 2 },
      { memoryMb: 3008, batchSize: 8, processes: 1 }, { memoryMb: 3538, batchSize: 16, processes: 2 }, { memoryMb: 768, batchSize: 8, processes: 1 },
    ];
    let feasible = 0;
    for (const c of statics) {
      const result = simulatePolicy(staticPolicy({ ...c, threadsPerProcess: 1 }), setup);
      if (result.sloAttainment < 0.99) continue;
      feasible++;
      const perMillionUsd = ((result.costUsd - result.warmupCostUsd) / result.answered) * 1e6;
      expect(oracle.costPerMillionUsd, JSON.stringify(c)).toBeLessThanOrEqual(perMillionUsd * (1 + 1e-9));
    }
    expect(feasible).toBeGreaterThanOrEqual(3);
  });
});

describe('batch', () => {
  it('makes its first choice after the profiling window, always with 1 process', () => {
    // 200 s: the profiling window is max(60 s, 10% of the trace) = 60 s.
    const scheduleMs = poissonArrivals({ ratePerS: 10, durationS: 200, seed: 4 });
    const { wrapped, applied, firstArrivalMs } = watched(batchPolicy());
    const result = simulatePolicy(wrapped, lambdaSetup(scheduleMs));
    expect(result.answered).toBe(scheduleMs.length);
    expect(applied.length).toBeGreaterThanOrEqual(2);
    expect(applied[0]!.config).toMatchObject({ memoryMb: 3008, batchSize: 1, processes: 1 });
    const first = applied[1]!;
    expect(first.atMs - firstArrivalMs()).toBeGreaterThanOrEqual(60_000);
    // Checked every 60 s: the first check after the window makes the choice.
    expect(first.atMs - firstArrivalMs()).toBeLessThan(120_000);
    for (const a of applied) expect(a.config).toMatchObject({ processes: 1, threadsPerProcess: 1 });
    // At 10 req/s with a 300 ms SLO, batching pays: the choice batches.
    expect(first.config.batchSize).toBeGreaterThan(1);
  });
});

describe('joint-bo', () => {
  it('applies at least one configuration change and answers every request on a 10-minute trace', () => {
    const { setup } = buildSetup({ trace: 'gen:poisson?rate-per-s=5&duration-s=600&seed=6', model: 'mobilenetv2', sloMs: 300, seed: 1 });
    const { row: r, result } = runPolicy('joint-bo', setup, options);
    expect(setup.scheduleMs.at(-1)!).toBeGreaterThan(590_000);
    expect(r.configChanges).toBeGreaterThanOrEqual(1);
    expect(r.detail).toMatch(/[1-9]\d* configuration\(s\) applied/);
    expect(r.requests).toBe(setup.scheduleMs.length);
    expect(r.requests - r.answered).toBe(0);
    expect(result.tuningEvents.some((e) => e.kind === 'applied')).toBe(true);
    // Every configuration it tried fits MobileNetV2's memory need: no batch was killed.
    const need = setup.platform.memoryNeedMb!;
    const tried = result.tuningEvents.flatMap((e) => (e.kind === 'applied' ? [e.config] : []));
    expect(tried.every((c) => memoryNeedMb(need, c.processes, c.batchSize) <= c.memoryMb)).toBe(true);
    expect(result.errors).toBe(0);
  });
});
