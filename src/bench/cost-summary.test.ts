import { describe, expect, it } from 'vitest';
import type { CostCell } from './cost-matrix.js';
import type { CostRow } from './cost-rows.js';
import { summarizeCost, tallyTargets } from './cost-summary.js';
import { formatCostSummary, formatTargetTally } from './cost-summary-table.js';

/** A row with the fields the summary reads; the rest as a run would leave them. */
function row(policy: string, costPerMillionUsd: number, sloAttainment: number, episodes?: number): CostRow {
  return {
    policy, costPerMillionUsd, sloAttainment, p50Ms: 10, p99Ms: 100, requests: 1000, throttled: 0, errors: 0, configChanges: 0, coldStarts: 0,
    invocations: 100, detail: '', wallS: 0,
    // Tuning paid double, settled a tenth below the whole: the split is carried as given.
    ...(episodes === undefined ? {} : { episodes: { count: 1, seconds: 60, requests: 100, sloAttainment: episodes, costPerMillionUsd: 2 * costPerMillionUsd, settledCostPerMillionUsd: 0.9 * costPerMillionUsd, settledRequests: 900 } }),
  };
}

function cell(trace: string, rows: CostRow[], sloMs = 200): CostCell {
  return {
    model: 'm', trace, traceLabel: trace, timeScale: 1, copies: 1, sloMs, requests: 1000, durationS: 3600, meanRatePerS: 1, peakRatePerS: 2,
    rows, references: [], wallS: 0,
  };
}

const peers = (perRequest: number, powerTuned: number, batch: number, aimd: number, oracle: number) => [
  row('per-request', perRequest, 1), row('power-tuned', powerTuned, 1), row('batch', batch, 0.995), row('aimd', aimd, 0.999), row('oracle', oracle, 1),
];

describe('ferry bench cost over seeds', () => {
  it('takes each policy\'s median per cell, joining rows of one seed from several runs', () => {
    // The peers from one run per seed, joint-bo from another: as after a tuner change.
    const runs = [1, 2, 3].flatMap((seed) => [
      { seed, cells: [cell('a', peers(0.8, 0.4, 0.3 + seed / 100, 0.5, 0.25))] },
      { seed, cells: [cell('a', [row('joint-bo', [0.2, 0.5, 0.28][seed - 1]!, [0.995, 0.98, 0.999][seed - 1]!, [0.97, 0.99, 0.985][seed - 1])])] },
    ]);
    const [summary] = summarizeCost(runs);
    expect(summary!.seeds).toEqual([1, 2, 3]);
    const jointBo = summary!.policies.find((p) => p.policy === 'joint-bo')!;
    expect(jointBo).toMatchObject({ seeds: 3, costPerMillionUsd: 0.28, minCostPerMillionUsd: 0.2, maxCostPerMillionUsd: 0.5, sloAttainment: 0.995, episodesSloAttainment: 0.985 });
    expect(jointBo.episodesCostPerMillionUsd).toBeCloseTo(0.56, 12);
    expect(jointBo.settledCostPerMillionUsd).toBeCloseTo(0.252, 12);
    expect(summary!.policies.find((p) => p.policy === 'batch')!.costPerMillionUsd).toBeCloseTo(0.32, 12);
    // 0.28 beats every peer's median (batch 0.32) at 99.5%: cheapest, 1.12x the oracle.
    expect(summary!.cheapest).toBe('joint-bo');
    expect(summary!.targets).toMatchObject({ cheapestAtSlo: true, sloAtLeast99: true, episodesAtLeast98: true });
    expect(summary!.targets!.ratioToOracle).toBeCloseTo(0.28 / 0.25, 12);
    expect(summary!.targets!.savingVsPerRequest).toBeCloseTo(1 - 0.28 / 0.8, 12);
  });

  it('refuses the same policy twice for one seed and cell', () => {
    const runs = [{ seed: 1, cells: [cell('a', [row('joint-bo', 0.2, 1)])] }, { seed: 1, cells: [cell('a', [row('joint-bo', 0.3, 1)])] }];
    expect(() => summarizeCost(runs)).toThrow(/one joint-bo row per seed for m a SLO 200 ms, got two for seed 1/);
  });

  it('counts the targets: cheaper than every peer only at 99%, a missing peer is never beaten, episodes and oracle bounds', () => {
    const cells = summarizeCost([{
      seed: 7, cells: [
        // Cheapest and at 99%: every target.
        cell('win', [...peers(0.8, 0.4, 0.3, 0.5, 0.25), row('joint-bo', 0.26, 0.995, 0.99)]),
        // Cheapest, but 98.9% within the SLO: not counted as cheapest; 1.6x the oracle.
        cell('miss', [...peers(0.8, 0.4, 0.3, 0.5, 0.125), row('joint-bo', 0.2, 0.989, 0.97)]),
        // No aimd row: cheapest cannot be judged, so it is not met.
        cell('partial', [row('per-request', 0.8, 1), row('power-tuned', 0.4, 1), row('batch', 0.3, 1), row('oracle', 0.25, 1), row('joint-bo', 0.1, 1)]),
        // Dearer than power-tuned and per-request; no episode requests: nothing missed there.
        cell('dear', [...peers(0.8, 0.4, 0.3, 0.5, 0.25), row('joint-bo', 0.9, 0.999)]),
      ],
    }]);
    expect(cells.map((c) => c.targets!.cheapestAtSlo)).toEqual([true, false, false, false]);
    const tally = tallyTargets(cells);
    expect(tally).toMatchObject({
      cells: 4, cheapestAtSlo: 1, sloAtLeast99: 3, episodesAtLeast98: 3, cheaperThanPerRequest: 3, cheaperThanPowerTuned: 3, peersMissing: 1,
      withinOracle12: 2, cheapestBy: { 'joint-bo': 3, batch: 1 },
    });
    expect(tally.sumCostPerMillionUsd).toBeCloseTo(0.26 + 0.2 + 0.1 + 0.9, 12);
    // Ratios 1.04, 1.6, 0.4, 3.6: the median of four is between 1.04 and 1.6.
    expect(tally.medianRatioToOracle).toBeCloseTo((0.26 / 0.25 + 0.2 / 0.125) / 2, 12);
    expect(tally.bestSaving).toMatchObject({ model: 'm', trace: 'partial', sloMs: 200 });
    expect(tally.bestSaving!.savingVsPerRequest).toBeCloseTo(0.875, 12);

    const text = [...formatCostSummary(cells), ...formatTargetTally(tally, [7])].join('\n');
    expect(text).toContain('| m | win | 200 | 0.800 | 0.400 | 0.300 | 0.500 | **0.260** | 0.250 | 68% | 35% | 1.04x | 99.50% | 99.0% | 0.520 / 0.234 | joint-bo |');
    expect(text).toContain('at >= 99% within the SLO: 1 of 4 (1 cells lack a peer\'s row');
    expect(text).toContain('best saving against per-request: 88% (m, partial, SLO 200 ms); the paper\'s 62%: met');
  });

  it('shows the spread of joint-bo over several seeds', () => {
    const cells = summarizeCost([1, 2].map((seed) => ({ seed, cells: [cell('a', [row('joint-bo', seed / 10, 1)])] })));
    expect(formatCostSummary(cells).join('\n')).toContain('| m | a | 200 | 0.150 (0.100-0.200) |');
  });
});
