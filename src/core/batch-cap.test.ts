import { describe, expect, it } from 'vitest';
import { capOf, isSuperseded, plateauEnds, sameCostAs } from './batch-cap.js';
import { ConfigSpace, configKey } from './config-space.js';

const space = new ConfigSpace();
const at = (batchSize: number, memoryMb = 1769, processes = 1) => ({ memoryMb, batchSize, processes });
const keys = (indices: number[]) => indices.map((i) => configKey(space.configs[i]!));

describe('batch-capped windows', () => {
  it('counts a window as capped only when its batches were well short of the configured size', () => {
    expect(capOf({ config: at(16), meanBatchSize: 5, feasible: true })).toBe(5);
    expect(capOf({ config: at(16), meanBatchSize: 15, feasible: true })).toBeUndefined(); // full, give or take the last
    expect(capOf({ config: at(16), feasible: true })).toBeUndefined(); // not measured
  });

  it('stands for every batch size at or above its mean batch, at its memory and process count', () => {
    const window = { config: at(16), meanBatchSize: 5, feasible: true };
    expect(keys(sameCostAs(space, window))).toEqual(['1769/8/1', '1769/12/1', '1769/24/1', '1769/32/1', '1769/48/1', '1769/64/1']);
    expect(sameCostAs(space, { ...window, meanBatchSize: 16 })).toEqual([]);
    expect(keys(plateauEnds(space, window))).toEqual(['1769/8/1', '1769/64/1']);
    expect(keys(plateauEnds(space, { ...window, config: at(48), meanBatchSize: 33 }))).toEqual(['1769/64/1']);
    expect(plateauEnds(space, { ...window, meanBatchSize: undefined })).toEqual([]);
  });

  it('supersedes those configurations, except the least bursty one when the window missed the SLO', () => {
    const met = { config: at(16), meanBatchSize: 5, feasible: true };
    const missed = { ...met, feasible: false };
    for (const b of [8, 12, 24, 64]) expect(isSuperseded(space, at(b), met)).toBe(true);
    for (const b of [1, 2, 4]) expect(isSuperseded(space, at(b), met)).toBe(false); // below the cap: other batches
    expect(isSuperseded(space, at(16), met)).toBe(false); // the evaluated one itself is the caller's business
    expect(isSuperseded(space, at(8), missed)).toBe(false); // as cheap, fewer requests exposed to a burst
    for (const b of [12, 24, 64]) expect(isSuperseded(space, at(b), missed)).toBe(true);
    // Other memory sizes and process counts are other configurations.
    expect(isSuperseded(space, at(32, 2048, 1), met)).toBe(false);
    expect(isSuperseded(space, at(32, 3538, 2), met)).toBe(false);
  });
});
