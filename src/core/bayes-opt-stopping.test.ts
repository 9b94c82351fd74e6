import { describe, expect, it } from 'vitest';
import { bestCostSeries, shouldStop } from './bayes-opt-stopping.js';

const rule = { window: 4, improvement: 0.01, minEvaluations: 6 };

describe('the stopping rule', () => {
  it('tracks the best feasible cost, Infinity before the first feasible one', () => {
    const series = bestCostSeries([
      { costUsdPerRequest: 1, feasible: false },
      { costUsdPerRequest: 5, feasible: true },
      { costUsdPerRequest: 3, feasible: true },
      { costUsdPerRequest: 2, feasible: false },
      { costUsdPerRequest: 4, feasible: true },
    ]);
    expect(series).toEqual([Infinity, 5, 3, 3, 3]);
  });

  it('fires once the best stalled over the window, after the minimum, with every neighbour explored', () => {
    expect(shouldStop([5, 3, 3, 3, 3], 0, rule)).toBe(false); // below the minimum
    expect(shouldStop([5, 3, 3, 3, 3, 3], 0, rule)).toBe(true);
    expect(shouldStop([5, 5, 5, 5, 5, 3], 0, rule)).toBe(false); // improved within the window
    expect(shouldStop([5, 3, 3, 3, 3, 2.99], 0, rule)).toBe(true); // by less than 1%
    expect(shouldStop([Infinity, Infinity, 3, 3, 3, 3], 0, rule)).toBe(false); // nothing feasible a window ago
  });

  it('waits for unexplored neighbours of the incumbent, but not past 1.5x the minimum', () => {
    expect(shouldStop([5, 3, 3, 3, 3, 3], 2, rule)).toBe(false);
    expect(shouldStop([5, 3, 3, 3, 3, 3, 3, 3, 3], 2, rule)).toBe(true);
  });
});
