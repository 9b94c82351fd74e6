import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.js';
import { binArrivals } from '../../src/trace/binning.js';
import { diurnalArrivals, mmppArrivals, poissonArrivals, stepArrivals } from '../../src/trace/generators.js';
import { traceStats } from '../../src/trace/stats.js';
import { sinusoidSeries, stationarySeries, stepSeries } from '../../src/trace/synthetic-counts.js';

// Seeded, so every figure below is fixed; the bounds are those of the process (about 4
// standard deviations), so a generator that got the process wrong fails them.

const within = (count: number, expected: number, sds = 4) => Math.abs(count - expected) <= sds * Math.sqrt(expected);
const countIn = (arrivalsMs: readonly number[], fromS: number, toS: number) => arrivalsMs.filter((t) => t >= fromS * 1000 && t < toS * 1000).length;

function expectWellFormed(arrivalsMs: readonly number[], durationS: number): void {
  const descending = arrivalsMs.findIndex((t, i) => i > 0 && t < arrivalsMs[i - 1]!);
  expect(descending).toBe(-1);
  expect(arrivalsMs[0]!).toBeGreaterThanOrEqual(0);
  expect(arrivalsMs.at(-1)!).toBeLessThan(durationS * 1000);
}

/** Variance over mean of per-second counts: 1 for Poisson, far above for bursty traffic. */
function dispersion(arrivalsMs: readonly number[]): number {
  const counts = binArrivals(arrivalsMs, 1000);
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  return counts.reduce((sum, c) => sum + (c - mean) ** 2, 0) / counts.length / mean;
}

describe('arrival generators', () => {
  it('poisson: the rate, exponential gaps, ascending, the same for a seed, a prefix for a shorter duration', () => {
    const arrivalsMs = poissonArrivals({ ratePerS: 20, durationS: 3600, seed: 1 });
    expectWellFormed(arrivalsMs, 3600);
    expect(within(arrivalsMs.length, 72_000)).toBe(true);
    const stats = traceStats(arrivalsMs);
    expect(stats.interArrivalCv!).toBeGreaterThan(0.98);
    expect(stats.interArrivalCv!).toBeLessThan(1.02);
    expect(dispersion(arrivalsMs)).toBeGreaterThan(0.9);
    expect(dispersion(arrivalsMs)).toBeLessThan(1.1);
    expect(poissonArrivals({ ratePerS: 20, durationS: 3600, seed: 1 })).toEqual(arrivalsMs);
    expect(poissonArrivals({ ratePerS: 20, durationS: 3600, seed: 2 })).not.toEqual(arrivalsMs);
    const short = poissonArrivals({ ratePerS: 20, durationS: 600, seed: 1 });
    expect(short).toEqual(arrivalsMs.filter((t) => t < 600_000));
  });

  it('step: each segment at its rate, changing exactly at the change times', () => {
    const arrivalsMs = stepArrivals({ ratesPerS: [10, 40, 0, 5], changeAtS: [600, 1200, 1500], durationS: 2400, seed: 3 });
    expectWellFormed(arrivalsMs, 2400);
    expect(within(countIn(arrivalsMs, 0, 600), 6000)).toBe(true);
    expect(within(countIn(arrivalsMs, 600, 1200), 24_000)).toBe(true);
    expect(countIn(arrivalsMs, 1200, 1500)).toBe(0);
    expect(within(countIn(arrivalsMs, 1500, 2400), 4500)).toBe(true);
    // The 4x step is visible within a few seconds of 600 s.
    const counts = binArrivals([0, ...arrivalsMs], 1000);
    const mean = (from: number, to: number) => counts.slice(from, to).reduce((a, b) => a + b, 0) / (to - from);
    expect(mean(590, 600)).toBeLessThan(20);
    expect(mean(600, 610)).toBeGreaterThan(25);
    expect(stepArrivals({ ratesPerS: [7], changeAtS: [], durationS: 100, seed: 3 })).toEqual(poissonArrivals({ ratePerS: 7, durationS: 100, seed: 3 }));
  });

  it('mmpp: calm spells and short bursts, the long-run rate of the state mix, far burstier than Poisson', () => {
    const states = [{ ratePerS: 20, meanSojournS: 60 }, { ratePerS: 200, meanSojournS: 10 }];
    const arrivalsMs = mmppArrivals({ states, durationS: 7200, seed: 1 });
    expectWellFormed(arrivalsMs, 7200);
    // Long-run rate (20 x 60 + 200 x 10) / 70 = 45.7 req/s; ~100 cycles, so the burst share varies by ~15%.
    const meanRate = arrivalsMs.length / 7200;
    expect(meanRate).toBeGreaterThan(35);
    expect(meanRate).toBeLessThan(57);
    const counts = binArrivals([0, ...arrivalsMs], 1000);
    const calm = counts.filter((c) => c < 60).length / counts.length;
    const burst = counts.filter((c) => c > 140).length / counts.length;
    // 6/7 of the time calm, 1/7 bursting; seconds that straddle a switch fall in neither.
    expect(calm).toBeGreaterThan(0.75);
    expect(burst).toBeGreaterThan(0.09);
    expect(calm + burst).toBeGreaterThan(0.95);
    expect(dispersion(arrivalsMs)).toBeGreaterThan(20);
    expect(mmppArrivals({ states, durationS: 7200, seed: 1 })).toEqual(arrivalsMs);
    expect(mmppArrivals({ states, durationS: 1000, seed: 1 })).toEqual(arrivalsMs.filter((t) => t < 1_000_000));
  });

  it('mmpp: three states, one of them off, all visited', () => {
    const arrivalsMs = mmppArrivals({
      states: [{ ratePerS: 0, meanSojournS: 30 }, { ratePerS: 50, meanSojournS: 30 }, { ratePerS: 500, meanSojournS: 5 }], durationS: 3600, seed: 4,
    });
    expectWellFormed(arrivalsMs, 3600);
    const counts = binArrivals([0, ...arrivalsMs], 1000);
    expect(counts.filter((c) => c === 0).length).toBeGreaterThan(600);
    expect(counts.filter((c) => c > 25 && c < 80).length).toBeGreaterThan(600);
    expect(counts.filter((c) => c > 400).length).toBeGreaterThan(100);
  });

  it('diurnal: the rate follows the compressed day (trough at the start by default), by thinning', () => {
    const options = { ratePerS: 20, amplitude: 0.5, periodS: 3600, durationS: 7200, seed: 5 };
    const arrivalsMs = diurnalArrivals(options);
    expectWellFormed(arrivalsMs, 7200);
    // Expected count in [a, b): integral of 20 (1 + 0.5 cos(2 pi (t - 1800) / 3600)).
    const integral = (t: number) => 20 * (t + ((0.5 * 3600) / (2 * Math.PI)) * Math.sin((2 * Math.PI * (t - 1800)) / 3600));
    for (const [from, to] of [[0, 300], [1650, 1950], [3300, 3900], [5250, 5550], [0, 7200]] as const) {
      expect(within(countIn(arrivalsMs, from, to), integral(to) - integral(from)), `${from}..${to}`).toBe(true);
    }
    const peak = countIn(arrivalsMs, 1650, 1950);
    const trough = countIn(arrivalsMs, 3450, 3750);
    expect(peak / trough).toBeGreaterThan(2.5);
    // The peak moves with peak-at-s.
    const shifted = diurnalArrivals({ ...options, peakAtS: 0 });
    expect(countIn(shifted, 0, 300)).toBeGreaterThan(countIn(shifted, 1650, 1950) * 2);
  });

  it('refuses options out of range, naming the key', () => {
    expect(() => poissonArrivals({ ratePerS: 0, durationS: 10, seed: 1 })).toThrow(/rate-per-s of a poisson trace to be a number above 0, got 0/);
    expect(() => poissonArrivals({ ratePerS: 1, durationS: -1, seed: 1 })).toThrow(/duration-s .* above 0/);
    expect(() => poissonArrivals({ ratePerS: 1, durationS: 10, seed: 1.5 })).toThrow(/seed .* integer, got 1\.5/);
    expect(() => poissonArrivals({ ratePerS: 1e6, durationS: 3600, seed: 1 })).toThrow(/at most 50000000 arrivals/);
    expect(() => stepArrivals({ ratesPerS: [1, 2], changeAtS: [], durationS: 10, seed: 1 })).toThrow(/one time fewer than rates-per-s \(1\), got 0/);
    expect(() => stepArrivals({ ratesPerS: [1, 2, 3], changeAtS: [5, 4], durationS: 10, seed: 1 })).toThrow(/ascend strictly inside \(0, duration-s = 10\), got 5,4/);
    expect(() => stepArrivals({ ratesPerS: [1, 2], changeAtS: [10], durationS: 10, seed: 1 })).toThrow(/ascend strictly/);
    expect(() => mmppArrivals({ states: [{ ratePerS: 1, meanSojournS: 1 }], durationS: 10, seed: 1 })).toThrow(/2 or more states, got 1/);
    expect(() => mmppArrivals({ states: [{ ratePerS: 1, meanSojournS: 0 }, { ratePerS: 1, meanSojournS: 1 }], durationS: 10, seed: 1 })).toThrow(/mean-sojourns-s/);
    expect(() => diurnalArrivals({ ratePerS: 1, amplitude: 1.5, durationS: 10, seed: 1 })).toThrow(/amplitude of a diurnal trace to be a number at least 0 and at most 1, got 1\.5/);
  });
});

// `ferry bench detect` and the figures in BENCHMARKS.md rest on these series: pinned, so a
// change to the count generators (or to Rng) is seen here rather than as drifted tables.
describe('per-interval count generators (detect benchmark)', () => {
  const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

  it('give the same series for the same seeds as when the benchmark figures were taken', () => {
    const step = stepSeries(new Rng(7), { baseRate: 20, factor: 2, noise: 'negbin' });
    expect(step.counts.length).toBe(1238);
    expect(step.changePoints).toEqual([345, 615, 881]);
    expect(step.counts.slice(0, 8)).toEqual([11, 5, 9, 14, 39, 17, 10, 22]);
    expect(sum(step.counts)).toBe(37_885);
    const poisson = stationarySeries(new Rng(8), { rate: 50, noise: 'poisson', length: 600 });
    expect([poisson.slice(0, 8), sum(poisson)]).toEqual([[51, 42, 53, 56, 57, 55, 50, 42], 30_177]);
    const lognormal = stationarySeries(new Rng(9), { rate: 10, noise: 'lognormal', length: 600 });
    expect([lognormal.slice(0, 8), sum(lognormal)]).toEqual([[10, 16, 6, 15, 24, 16, 9, 14], 6017]);
    const sinusoid = sinusoidSeries(new Rng(10), { rate: 20, amplitude: 0.5, periodS: 7200, noise: 'negbin', length: 600, phase: 1 });
    expect([sinusoid.slice(0, 8), sum(sinusoid)]).toEqual([[50, 27, 41, 32, 24, 19, 25, 27], 17_414]);
  });
});
