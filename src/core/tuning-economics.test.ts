import { describe, expect, it } from 'vitest';
import { invocationCostUsd } from './billing.js';
import { vcpusForMemory } from './pricing.js';
import { effectiveHorizonS, initMsAt, switchCostUsd, trialValueUsd, type TrialEconomics } from './tuning-economics.js';

const economics: TrialEconomics = { horizonS: 1800, windowRequests: 200, windowS: 20 };
const base = { memoryMb: 1769, batchSize: 8, processes: 1 };

describe('switchCostUsd', () => {
  it('is free for a batch-size change, which starts no instance', () => {
    expect(switchCostUsd(base, { ...base, batchSize: 32 })).toBe(0);
  });

  it('bills each busy instance one INIT at the new memory for a memory change', () => {
    const to = { ...base, memoryMb: 3538, processes: 2 };
    expect(switchCostUsd(base, to, { instancesInUse: 2.2, coldStartMs: 1500 })).toBeCloseTo(3 * invocationCostUsd(1500, 3538), 15);
    // Before serving has shown one: one instance, a 1 s INIT.
    expect(switchCostUsd(base, { ...base, memoryMb: 2048 })).toBeCloseTo(invocationCostUsd(1000, 2048), 15);
  });

  it('counts the instances that the batches arriving during the new INIT start, up to the concurrency', () => {
    const to = { memoryMb: 512, batchSize: 1, processes: 1 };
    // INIT is 1 s at one vCPU, 1769/512 times that at 512 MB; at 100 req/s with batches of
    // 1, every batch arriving meanwhile starts one instance.
    const initMs = 1000 / vcpusForMemory(512);
    expect(initMsAt(512, 1000)).toBeCloseTo(initMs, 9);
    const arriving = Math.ceil((100 * initMs) / 1000);
    expect(switchCostUsd(base, to, { instancesInUse: 5, coldStartMs: 1000 }, 100)).toBeCloseTo(arriving * invocationCostUsd(initMs, 512), 15);
    expect(switchCostUsd(base, to, { instancesInUse: 5, coldStartMs: 1000 }, 100, 4)).toBeCloseTo(4 * invocationCostUsd(initMs, 512), 15);
    // Larger batches arrive fewer: at batches of 64, the busy instances are the larger count.
    expect(switchCostUsd(base, { ...to, batchSize: 64 }, { instancesInUse: 8, coldStartMs: 1000 }, 100)).toBeCloseTo(8 * invocationCostUsd(initMs, 512), 15);
    // At one vCPU or more, INIT is the one measured.
    expect(initMsAt(3538, 1000)).toBe(1000);
  });

  it('bills a process-count change as worker starts inside the warm instances, well under an INIT', () => {
    const cost = switchCostUsd(base, { ...base, processes: 2 }, { instancesInUse: 1, coldStartMs: 1000 });
    expect(cost).toBeCloseTo(invocationCostUsd(200, 1769), 15);
    expect(cost).toBeLessThan(switchCostUsd(base, { ...base, memoryMb: 1768 }, { coldStartMs: 1000 }));
  });
});

describe('trialValueUsd', () => {
  const reference = Math.log(4e-7);
  const cheaper = { logCost: { mean: Math.log(2e-7), variance: 0.01 }, pFeasible: 0.9, expectedImprovement: 0.6, referenceLogCost: reference, switchInUsd: 0, switchBackUsd: 0 };

  it('counts the saving over the horizon: (1 - exp(-EI)) x P(feasible) x reference cost x requests after the window', () => {
    const value = trialValueUsd({ ...cheaper, arrivalRatePerS: 10 }, economics);
    // A cheaper candidate costs the window nothing extra.
    expect(value).toBeCloseTo(0.9 * (1 - Math.exp(-0.6)) * 4e-7 * (10 * 1800 - 200), 15);
  });

  it('grows with the arrival rate: the same fractional saving is worth more requests', () => {
    expect(trialValueUsd({ ...cheaper, arrivalRatePerS: 100 }, economics)).toBeGreaterThan(trialValueUsd({ ...cheaper, arrivalRatePerS: 10 }, economics));
  });

  it('is negative for a dear, unpromising trial and for one whose switches cost more than it can save', () => {
    const dear = { logCost: { mean: Math.log(2e-6), variance: 0.04 }, pFeasible: 0.9, expectedImprovement: 1e-4, referenceLogCost: reference, switchInUsd: 0, switchBackUsd: 0 };
    expect(trialValueUsd({ ...dear, arrivalRatePerS: 5 }, economics)).toBeLessThan(0);
    const smallGain = { ...cheaper, expectedImprovement: 0.01 };
    const withSwitches = trialValueUsd({ ...smallGain, arrivalRatePerS: 1, switchInUsd: 1e-3, switchBackUsd: 1e-3 }, economics);
    expect(withSwitches).toBeLessThan(0);
    expect(trialValueUsd({ ...smallGain, arrivalRatePerS: 1 }, economics)).toBeGreaterThan(0);
  });

  it('uses the longer of the window floors: at a high rate the 20 s window holds more than 200 requests', () => {
    const dearer = { logCost: { mean: Math.log(8e-7), variance: 0 }, pFeasible: 1, expectedImprovement: 0, referenceLogCost: reference, switchInUsd: 0, switchBackUsd: 0 };
    // 100 req/s x 20 s = 2000 requests at 4e-7 dearer each.
    expect(trialValueUsd({ ...dearer, arrivalRatePerS: 100 }, economics)).toBeCloseTo(-2000 * 4e-7, 12);
  });
});

describe('effectiveHorizonS', () => {
  it('counts a saving over the configured horizon, or over the regimes serving has seen when they were shorter', () => {
    expect(effectiveHorizonS(economics)).toBe(1800);
    expect(effectiveHorizonS(economics, { regimeS: 150 })).toBe(150);
    expect(effectiveHorizonS(economics, { regimeS: 4000 })).toBe(1800);
  });
});
