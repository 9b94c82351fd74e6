import { describe, expect, it } from 'vitest';
import { memoryNeedMb } from '../core/memory-need.js';
import { fitMemory, type MemoryRow } from './memory-bench.js';

const cell = (processes: number, batch: number, peakMb: number): MemoryRow => ({ processes, batch, maxMemoryUsedMb: [peakMb - 10, peakMb], predictedMb: 0 });

describe('fitMemory', () => {
  it('recovers a linear need from its cells, and raises the base until every cell is under the envelope', () => {
    const truth = { baseMb: 20, perProcessMb: 60, perItemMb: 13 };
    const offsets = [0, 4, -3, 9, -6, 2];
    const rows = [[1, 1], [1, 16], [1, 64], [2, 16], [4, 8], [4, 64]].map(([p, b], i) => cell(p!, b!, memoryNeedMb(truth, p!, b!) + offsets[i]!));
    const { fit, envelope } = fitMemory(rows);
    expect(fit.perItemMb).toBeCloseTo(13, 0);
    expect(fit.perProcessMb).toBeCloseTo(60, -1);
    // The last reading of each cell is its peak, and every peak is under the envelope, one touching it.
    const gaps = rows.map((r) => memoryNeedMb(envelope, r.processes, r.batch) - r.maxMemoryUsedMb.at(-1)!);
    expect(Math.min(...gaps)).toBeCloseTo(0, 9);
    expect(envelope.perItemMb).toBe(fit.perItemMb);
  });

  it('refuses cells that cannot separate workers from items', () => {
    expect(() => fitMemory([cell(1, 1, 100), cell(1, 8, 190), cell(1, 64, 900)])).toThrow(/vary both/);
    expect(() => fitMemory([cell(1, 1, 100)])).toThrow(/at least 3 cells/);
  });
});
