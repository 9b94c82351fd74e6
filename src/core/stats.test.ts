import { describe, expect, it } from 'vitest';
import { mean, median, quantile } from './stats.js';

describe('stats', () => {
  it('interpolates quantiles like numpy', () => {
    // numpy.quantile([1, 2, 3, 4], 0.9) == 3.7
    expect(quantile([4, 1, 3, 2], 0.9)).toBeCloseTo(3.7, 12);
    expect(quantile([5], 0.99)).toBe(5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, 2, 3, 10])).toBe(2.5);
    expect(mean([1, 2, 6])).toBe(3);
  });
  it('returns an infinite quantile instead of NaN when it falls among infinities', () => {
    const values = [...Array<number>(98).fill(10), Infinity, Infinity];
    expect(quantile(values, 0.995)).toBe(Infinity);
    expect(quantile([1, Infinity], 0.5)).toBe(Infinity);
    expect(quantile(values, 0.5)).toBe(10);
  });
  it('rejects empty input and bad q', () => {
    expect(() => quantile([], 0.5)).toThrow(/at least one/);
    expect(() => quantile([1], 1.5)).toThrow(/q in/);
  });
});
