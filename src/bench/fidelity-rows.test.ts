import { describe, expect, it } from 'vitest';
import { fidelityOutput, fidelityRow, fidelityTargets, formatFidelityTable, medianRows, relErr, withinTargets, type FidelityOutput } from './fidelity-rows.js';
import { InvocationRecorder } from './invocation-recorder.js';
import type { InvocationRecord } from '../serving/events.js';

const live = { costPerMillionUsd: 10, p99Ms: 200, sloAttainment: 0.99 };

describe('fidelity rows', () => {
  it('relErr is (sim - live) / live, and null where live is 0 or a side is not finite', () => {
    expect(relErr(11.5, 10)).toBeCloseTo(0.15, 12);
    expect(relErr(150, 200)).toBeCloseTo(-0.25, 12);
    expect(relErr(1, 0)).toBeNull();
    expect(relErr(Infinity, 10)).toBeNull();
    expect(relErr(1, Number.NaN)).toBeNull();
  });

  it('a row carries both sides and their errors; the targets are 15% cost and 25% p99', () => {
    const row = fidelityRow('static 8 x 2 x 3538 MB', live, { costPerMillionUsd: 8, p99Ms: 260, sloAttainment: 1 });
    expect(row.costRelErr).toBeCloseTo(-0.2, 12);
    expect(row.p99RelErr).toBeCloseTo(0.3, 12);
    expect(withinTargets(row)).toBe(false);
    expect(withinTargets(fidelityRow('x', live, { costPerMillionUsd: 11.4, p99Ms: 151, sloAttainment: 1 }))).toBe(true);
    expect(fidelityTargets).toEqual({ costRelErr: 0.15, p99RelErr: 0.25 });
  });

  it('the JSON output has rows of { policy, live, sim, costRelErr, p99RelErr } that are the medians of the runs', () => {
    const run = (liveCost: number, simCost: number) => ({
      rows: [fidelityRow('joint-bo', { ...live, costPerMillionUsd: liveCost }, { ...live, costPerMillionUsd: simCost }, { hostBackgroundCores: liveCost / 10 })],
      diagnostics: [],
    });
    const output: FidelityOutput = fidelityOutput({
      machine: 'test', quota: 'none', targets: fidelityTargets,
      options: { model: 'mobilenetv2', trace: 't.csv', timeScale: 10, durationS: 120, sloMs: 300, concurrency: 4, hostCores: 2, seed: 1, runs: 3 },
      runs: [run(10, 12), run(20, 18), run(30, 33)],
    });
    const parsed = JSON.parse(JSON.stringify(output)) as FidelityOutput;
    expect(parsed.rows).toHaveLength(1);
    const row = parsed.rows[0]!;
    expect(Object.keys(row).sort()).toEqual(['costRelErr', 'hostBackgroundCores', 'live', 'p99RelErr', 'policy', 'sim']);
    expect(row.policy).toBe('joint-bo');
    expect(Object.keys(row.live).sort()).toEqual(['costPerMillionUsd', 'p99Ms', 'sloAttainment']);
    expect(row.live.costPerMillionUsd).toBe(20);
    expect(row.sim.costPerMillionUsd).toBe(18);
    // The error of the medians, not the median of the errors.
    expect(row.costRelErr).toBeCloseTo(-0.1, 12);
    expect(row.hostBackgroundCores).toBe(2);
    expect(parsed.runs).toHaveLength(3);
    expect(medianRows([])).toEqual([]);
    expect(formatFidelityTable(parsed.rows)[2]).toContain('-10.0%');
  });
});

describe('InvocationRecorder', () => {
  const record = (batchSize: number, serviceMs: number, durationMs: number, extra: Partial<InvocationRecord> = {}): InvocationRecord => ({
    model: 'm', functionName: 'm', batchSize, serviceMs, outcome: 'ok', warmup: false, atMs: 0,
    billing: { requestId: 'r', durationMs, billedDurationMs: Math.ceil(durationMs), memoryMb: 1769, maxMemoryUsedMb: 0, costUsd: 1 },
    ...extra,
  });

  it('leaves out the initial warm-up, keeps later re-warm-ups, and fits the unbilled overhead per batch size', () => {
    const recorder = new InvocationRecorder();
    recorder.onInvocation(record(0, 1200, 5, { warmup: true }));
    recorder.onArrivals();
    // overhead 3 ms + 0.5 ms per item
    recorder.onInvocation(record(1, 13.5, 10));
    recorder.onInvocation(record(4, 45, 40));
    recorder.onInvocation(record(8, 87, 80));
    recorder.onInvocation(record(0, 900, 5, { warmup: true, billing: { requestId: 'w', durationMs: 5, billedDurationMs: 5, memoryMb: 1769, maxMemoryUsedMb: 0, costUsd: 1, initDurationMs: 800 } }));
    const s = recorder.summary();
    expect(s.costUsd).toBe(4);
    expect(s.invocations).toBe(3);
    expect(s.coldStarts).toBe(1);
    expect(s.meanInitMs).toBe(800);
    expect(s.overheadMs!.fixedMs).toBeCloseTo(3, 6);
    expect(s.overheadMs!.perItemMs).toBeCloseTo(0.5, 6);
    expect(s.byBatchSize.map((b) => b.batchSize)).toEqual([1, 4, 8]);
  });
});
