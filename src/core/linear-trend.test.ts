import { describe, expect, it } from 'vitest';
import { fitLinearTrend } from './linear-trend.js';

describe('fitLinearTrend', () => {
  it('recovers a linear function from exact data when the penalty is tiny', () => {
    const x = [[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.2]];
    const f = (p: readonly number[]) => 2 - 3 * p[0]! + 0.5 * p[1]!;
    const trend = fitLinearTrend(x, x.map(f), 1e-9);
    for (const p of [[0.3, 0.7], [2, -1]]) expect(trend(p)).toBeCloseTo(f(p), 6);
  });

  it('shrinks slopes, not the intercept: one point gives a constant at its value', () => {
    const one = fitLinearTrend([[0.4, 0.9]], [5], 0.03);
    expect(one([0, 0])).toBeCloseTo(5, 12);
    expect(one([1, 1])).toBeCloseTo(5, 12);
    // Two points, y = x: by hand, slope = 0.5 / (0.5 + ridge), intercept = 0.5 - slope / 2.
    const two = fitLinearTrend([[0], [1]], [0, 1], 0.5);
    expect(two([1])).toBeCloseTo(0.5 + 0.5 / 2, 12);
    expect(two([0])).toBeCloseTo(0.5 - 0.5 / 2, 12);
  });

  it('rejects mismatched data and a non-positive penalty', () => {
    expect(() => fitLinearTrend([], [], 1)).toThrow(/as many/);
    expect(() => fitLinearTrend([[1]], [1], 0)).toThrow(/ridge/);
  });
});
