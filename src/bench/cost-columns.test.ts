import { describe, expect, it } from 'vitest';
import { attainmentInside, costInside, hostBreakEvenRatePerS, hostCostUsd, mergeIntervals, ratioTo, savingShare, withHostPerMillionUsd } from './cost-columns.js';

describe('cost columns', () => {
  it('saving is 1 - cost / baseline, ratio is cost / bound, both undefined without a positive reference', () => {
    expect(savingShare(0.38, 1)).toBeCloseTo(0.62, 12);
    expect(savingShare(1.5, 1)).toBeCloseTo(-0.5, 12);
    expect(savingShare(1, undefined)).toBeUndefined();
    expect(savingShare(1, 0)).toBeUndefined();
    expect(ratioTo(1.1, 1)).toBeCloseTo(1.1, 12);
    expect(ratioTo(1, undefined)).toBeUndefined();
  });

  it('the host adds its price over the trace, spread over the requests', () => {
    // t3.small for one hour over 36,000 requests: $0.0208 / 36,000 = $0.5778 per million more.
    expect(hostCostUsd(0.0208, 3600)).toBeCloseTo(0.0208, 12);
    expect(withHostPerMillionUsd(0.4, 36_000, 0.0208, 3600)).toBeCloseTo(0.4 + 0.0208 / 36_000 * 1e6, 9);
    // Half an hour costs half.
    expect(withHostPerMillionUsd(0.4, 36_000, 0.0208, 1800)).toBeCloseTo(0.4 + 0.0104 / 36_000 * 1e6, 9);
  });

  it('the break-even rate is host $/s over the saving per request, and never without a saving', () => {
    // Saves $0.50 per million = $5e-7 a request; the host costs 0.0208 / 3600 = $5.78e-6 a second: 11.56 req/s.
    const rate = hostBreakEvenRatePerS(0.3, 0.8, 0.0208)!;
    expect(rate).toBeCloseTo(0.0208 / 3600 / 5e-7, 9);
    expect(rate).toBeCloseTo(11.556, 3);
    // At that rate, an hour's saving pays exactly for an hour of the host.
    expect(rate * 3600 * 5e-7).toBeCloseTo(0.0208, 12);
    expect(hostBreakEvenRatePerS(0.8, 0.8, 0.0208)).toBeUndefined();
    expect(hostBreakEvenRatePerS(0.9, 0.8, 0.0208)).toBeUndefined();
    expect(hostBreakEvenRatePerS(0.3, undefined, 0.0208)).toBeUndefined();
  });

  it('attainment inside intervals counts only requests that arrived in [start, end)', () => {
    const arrivals = [0, 5, 10, 15, 20, 25, 30];
    const met = [1, 0, 1, 1, 0, 1, 1];
    const inside = attainmentInside([{ startMs: 5, endMs: 15 }, { startMs: 25, endMs: 26 }], arrivals, met);
    // 5 (missed), 10 (met), 25 (met); 15 is at an end, left out.
    expect(inside).toEqual({ requests: 3, withinSlo: 2, attainment: 2 / 3 });
    expect(attainmentInside([{ startMs: 100, endMs: 200 }], arrivals, met)).toEqual({ requests: 0, withinSlo: 0, attainment: undefined });
  });

  it('cost inside intervals adds what invocations dispatched in [start, end) billed, the rest is outside', () => {
    const split = costInside([{ startMs: 10, endMs: 20 }, { startMs: 15, endMs: 30 }], [0, 10, 29, 30, 50], [1, 2, 4, 8, 16]);
    // 10 and 29 fall in the merged [10, 30); 30 is at its end.
    expect(split).toEqual({ insideUsd: 6, outsideUsd: 25 });
    expect(costInside([], [1, 2], [0.5, 0.25])).toEqual({ insideUsd: 0, outsideUsd: 0.75 });
  });

  it('overlapping and touching intervals merge, empty ones are dropped', () => {
    expect(mergeIntervals([{ startMs: 10, endMs: 20 }, { startMs: 0, endMs: 5 }, { startMs: 5, endMs: 8 }, { startMs: 15, endMs: 30 }, { startMs: 40, endMs: 40 }]))
      .toEqual([{ startMs: 0, endMs: 8 }, { startMs: 10, endMs: 30 }]);
  });
});
