import { describe, expect, it } from 'vitest';
import { buildSchedule, offeredRate } from '../../src/trace/schedule.js';

// Arrivals at 1000, 2000, ..., 10000 ms of trace time.
const arrivals = Array.from({ length: 10 }, (_, i) => (i + 1) * 1000);

describe('replay schedule', () => {
  it('is relative to the first arrival, at trace speed by default', () => {
    expect(buildSchedule(arrivals)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]);
  });

  it('divides the gaps by the time scale', () => {
    expect(buildSchedule(arrivals, { timeScale: 10 })).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(buildSchedule(arrivals, { timeScale: 0.5 }).slice(0, 3)).toEqual([0, 2000, 4000]);
  });

  it('cuts at the duration of replay time (after scaling), the cut itself excluded', () => {
    expect(buildSchedule(arrivals, { durationS: 3 })).toEqual([0, 1000, 2000]);
    expect(buildSchedule(arrivals, { timeScale: 10, durationS: 0.35 })).toEqual([0, 100, 200, 300]);
  });

  it('skips the first seconds of trace time and starts at the next arrival', () => {
    expect(buildSchedule(arrivals, { startS: 2.5 })).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000]);
    // start is in trace seconds (before scaling), duration in replay seconds (after).
    expect(buildSchedule(arrivals, { startS: 4, timeScale: 2, durationS: 2 })).toEqual([0, 500, 1000, 1500]);
  });

  it('is empty when the start lies past the trace', () => {
    expect(buildSchedule(arrivals, { startS: 60 })).toEqual([]);
    expect(buildSchedule([], {})).toEqual([]);
  });

  it('refuses a time scale, start or duration out of range', () => {
    expect(() => buildSchedule(arrivals, { timeScale: 0 })).toThrow(/time scale/);
    expect(() => buildSchedule(arrivals, { startS: -1 })).toThrow(/start/);
    expect(() => buildSchedule(arrivals, { durationS: 0 })).toThrow(/duration/);
  });

  it('reports the offered rate', () => {
    expect(offeredRate(buildSchedule(arrivals, { timeScale: 10 }))).toBeCloseTo(10, 9);
    expect(offeredRate([0])).toBeUndefined();
  });
});
