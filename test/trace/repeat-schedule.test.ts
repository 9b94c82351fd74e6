import { describe, expect, it } from 'vitest';
import { peakRatePerS, repeatSchedule } from '../../src/trace/schedule.js';

describe('repeatSchedule', () => {
  it('plays a short schedule end to end, one mean gap between copies, until it covers the span asked for', () => {
    // Span 30 ms over 4 arrivals: mean gap 10 ms, so each copy starts 40 ms after the last.
    const { scheduleMs, copies } = repeatSchedule([0, 5, 20, 30], 100);
    expect(copies).toBe(3);
    expect(scheduleMs).toEqual([0, 5, 20, 30, 40, 45, 60, 70, 80, 85, 100, 110]);
    expect(scheduleMs[scheduleMs.length - 1]).toBeGreaterThanOrEqual(100);
  });

  it('leaves a long enough (or degenerate) schedule as it is', () => {
    expect(repeatSchedule([0, 50, 120], 100)).toEqual({ scheduleMs: [0, 50, 120], copies: 1 });
    expect(repeatSchedule([7], 100)).toEqual({ scheduleMs: [7], copies: 1 });
    expect(repeatSchedule([], 100)).toEqual({ scheduleMs: [], copies: 1 });
  });
});

describe('peakRatePerS', () => {
  it('is the busiest sliding window, per second', () => {
    // 3 arrivals within one second of each other, straddling a whole-second bin edge.
    expect(peakRatePerS([0, 900, 1100, 1500, 3000], 1000)).toBe(3);
    // The 1-minute default: 120 arrivals in the busiest minute is 2 req/s.
    const schedule = Array.from({ length: 120 }, (_, i) => 10_000 + i * 400);
    expect(peakRatePerS(schedule)).toBe(2);
    expect(peakRatePerS([])).toBe(0);
  });
});
