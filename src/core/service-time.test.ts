import { describe, expect, it } from 'vitest';
import { Rng } from './random.js';
import { ServiceTimeModel } from './service-time.js';

/** The same prediction computed from scratch over the last `window` observations. */
function naivePredictMs(samples: Array<{ n: number; ms: number }>, window: number, perItemMs: number, batchSize: number): number {
  const last = samples.slice(-window);
  const k = last.length;
  const meanX = last.reduce((s, p) => s + p.n, 0) / k;
  const meanY = last.reduce((s, p) => s + p.ms, 0) / k;
  let sxx = 0;
  let sxy = 0;
  for (const p of last) {
    sxx += (p.n - meanX) ** 2;
    sxy += (p.n - meanX) * (p.ms - meanY);
  }
  const b = sxx === 0 ? perItemMs : Math.max(0, sxy / sxx);
  const a = meanY - b * meanX;
  const residualStd = Math.sqrt(last.reduce((s, p) => s + (p.ms - (a + b * p.n)) ** 2, 0) / Math.max(1, k - 2));
  const mean = Math.max(0, a + b * batchSize);
  return mean + Math.min(3 * residualStd, 0.5 * mean);
}

describe('ServiceTimeModel', () => {
  it('answers from the prior until it has data', () => {
    const model = new ServiceTimeModel({ fixedMs: 50, perItemMs: 10 });
    expect(model.predictMs(4)).toBe(90);
  });

  it('fits a line and adds two residual standard deviations', () => {
    const model = new ServiceTimeModel({ fixedMs: 0, perItemMs: 0 });
    for (const n of [1, 2, 4, 8]) model.observe(n, 20 + 10 * n);
    expect(model.predictMs(16)).toBeCloseTo(180, 6);
    model.observe(4, 70);
    model.observe(4, 50);
    expect(model.predictMs(4)).toBeGreaterThan(60);
  });

  it('caps the margin at half the mean on a noisy machine', () => {
    const model = new ServiceTimeModel({ fixedMs: 0, perItemMs: 0 });
    for (const ms of [10, 200, 10, 200, 10, 200]) model.observe(4, ms);
    // Mean 105 ms, residual std about 104 ms: two of them would nearly triple the plan.
    expect(model.predictMs(4)).toBeCloseTo(157.5, 6);
  });

  it('lets the margin reach half the SLO when that is more than half the mean', () => {
    const model = new ServiceTimeModel({ fixedMs: 0, perItemMs: 0 });
    for (const ms of [9, 17, 9, 17, 9, 17]) model.observe(1, ms);
    // Mean 13 ms, residual std sqrt(96 / 4): half the mean alone would leave 1.3 of them.
    const threeSdMs = 3 * Math.sqrt(96 / 4);
    expect(model.predictMs(1)).toBeCloseTo(19.5, 6);
    expect(model.predictMs(1, 200)).toBeCloseTo(13 + threeSdMs, 6);
    // A tight SLO bounds it again: half of 20 ms is 10.
    expect(model.predictMs(1, 20)).toBeCloseTo(23, 6);
  });

  it('forgets on reset', () => {
    const model = new ServiceTimeModel({ fixedMs: 5, perItemMs: 1 });
    for (const n of [1, 2, 3]) model.observe(n, 1000);
    model.reset();
    expect(model.predictMs(2)).toBe(7);
  });

  it('matches a fit from scratch over the sliding window, through evictions and many observations', () => {
    const rng = new Rng(7);
    const window = 16;
    const model = new ServiceTimeModel({ fixedMs: 0, perItemMs: 3 }, window);
    const samples: Array<{ n: number; ms: number }> = [];
    for (let i = 0; i < 2000; i++) {
      // Long runs of one batch size (the sxx = 0 case) between mixed stretches.
      const n = i % 300 < 40 ? 8 : 1 + Math.floor(rng.next() * 16);
      const ms = 40 + 9 * n + 30 * rng.next();
      model.observe(n, ms);
      samples.push({ n, ms });
      if (samples.length >= 3 && i % 7 === 0) {
        for (const b of [1, 8, 32]) expect(model.predictMs(b)).toBeCloseTo(naivePredictMs(samples, window, 3, b), 6);
      }
    }
  });

  it('refuses a window too small to fit a line', () => {
    expect(() => new ServiceTimeModel({ fixedMs: 0, perItemMs: 0 }, 2)).toThrow(/at least 3/);
  });
});
