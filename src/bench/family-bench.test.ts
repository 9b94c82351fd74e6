import { describe, expect, it } from 'vitest';
import type { BayesOptOptions } from '../core/bayes-opt.js';
import { quantile } from '../core/stats.js';
import { runFamilyBench } from './family-bench.js';
import { generateFamily } from './surface-families.js';
import { runSurfaceBench } from './tuner-bench.js';

/** The optimizer as it was before the generated families (issue 11, item 3). */
const before: Partial<BayesOptOptions> = { costClampFrom: 'all', sloDominance: false };

function row(family: string, index: number, seeds: number, variant: Partial<BayesOptOptions> = {}) {
  const c = generateFamily(family).file.cases[index]!;
  return runSurfaceBench({ cases: [c] }, { seeds, meanBatch: false }, variant).rows[0]!;
}

describe('ferry bench tuner --families', () => {
  it('summarizes each family by the median of its cases\' medians', () => {
    const { families } = runFamilyBench(['small-fast'], { seeds: 1 });
    expect(families).toHaveLength(1);
    const f = families[0]!;
    expect(f.rows).toHaveLength(12);
    expect(f.models).toHaveLength(4);
    expect(f.medianOfMedians).toBe(quantile(f.rows.map((r) => r.medianEvals), 0.5));
    expect(f.failures).toBe(f.rows.reduce((sum, r) => sum + r.failures, 0));
  });
});

describe('issue 11, item 3: the optimizer on surfaces it was not built on', () => {
  // The cheapest observations (512 MB) miss the SLO, and everything feasible costs several
  // times more: clamped at 3x the cheapest observation, the feasible region read as one
  // cost, under the incumbent's, and EI walked through it until the stopping rule fired.
  it('ranks dear feasible configurations when cheap ones miss the SLO (heavy-tail, case 8)', () => {
    expect(row('heavy-tail', 7, 12, before).failures).toBeGreaterThanOrEqual(2);
    const now = row('heavy-tail', 7, 12);
    expect(now.failures).toBe(0);
    expect(now.medianEvals).toBeLessThanOrEqual(10);
  });

  it('finds a single-configuration optimum next to the out-of-memory cliff (io-bound, case 7)', () => {
    expect(row('io-bound', 6, 16, before).failures).toBeGreaterThanOrEqual(3);
    const now = row('io-bound', 6, 16);
    expect(now.failures).toBe(0);
    expect(now.medianEvals).toBeLessThanOrEqual(12);
  });
});
