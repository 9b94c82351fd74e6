import { describe, expect, it } from 'vitest';
import { splitEven } from './split.js';

describe('splitEven', () => {
  it('balances sizes within one and keeps order', () => {
    expect(splitEven(10, 3)).toEqual([{ start: 0, end: 4 }, { start: 4, end: 7 }, { start: 7, end: 10 }]);
  });
  it('uses fewer parts than asked when items are scarce', () => {
    expect(splitEven(2, 4)).toEqual([{ start: 0, end: 1 }, { start: 1, end: 2 }]);
    expect(splitEven(0, 4)).toEqual([]);
  });
  it('covers every item exactly once for many shapes', () => {
    for (let count = 0; count <= 40; count++) {
      for (let parts = 1; parts <= 7; parts++) {
        const ranges = splitEven(count, parts);
        const covered = ranges.flatMap((r) => Array.from({ length: r.end - r.start }, (_, i) => r.start + i));
        expect(covered).toEqual(Array.from({ length: count }, (_, i) => i));
        const sizes = ranges.map((r) => r.end - r.start);
        if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
  it('rejects nonsense', () => {
    expect(() => splitEven(-1, 2)).toThrow(/count/);
    expect(() => splitEven(3, 0)).toThrow(/parts/);
  });
});
