import { describe, expect, it } from 'vitest';
import { clearMisses, condemnedBy } from './slo-dominance.js';

describe('SLO dominance', () => {
  const miss = { memoryMb: 1769, batchSize: 4, processes: 1 };

  it('condemns no more memory and no smaller batch at the same processes', () => {
    const misses = clearMisses([{ config: miss, p99Ms: 2000 }], 500);
    expect(misses).toEqual([miss]);
    expect(condemnedBy({ memoryMb: 1024, batchSize: 8, processes: 1 }, misses)).toBe(true);
    expect(condemnedBy({ memoryMb: 1769, batchSize: 4, processes: 1 }, misses)).toBe(true);
    // More memory, a smaller batch or other processes may be faster.
    expect(condemnedBy({ memoryMb: 2048, batchSize: 8, processes: 1 }, misses)).toBe(false);
    expect(condemnedBy({ memoryMb: 1024, batchSize: 2, processes: 1 }, misses)).toBe(false);
    expect(condemnedBy({ memoryMb: 1024, batchSize: 8, processes: 2 }, misses)).toBe(false);
  });

  it('takes a miss within the noise margin for no evidence', () => {
    expect(clearMisses([{ config: miss, p99Ms: 540 }], 500)).toEqual([]);
    expect(clearMisses([{ config: miss, p99Ms: 560 }], 500)).toEqual([miss]);
    expect(clearMisses([{ config: miss, p99Ms: 560 }], 500, 0.2)).toEqual([]);
  });
});
