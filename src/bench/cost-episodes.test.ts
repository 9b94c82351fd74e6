import { describe, expect, it } from 'vitest';
import type { ModelTuningEvent } from '../serving/events.js';
import { reconfigurationEpisodes, tuningEpisodes } from './cost-episodes.js';

const config = { memoryMb: 1769, batchSize: 8, processes: 1 };
const evaluated = (atMs: number): ModelTuningEvent => ({
  kind: 'evaluated', atMs, config, context: { arrivalRatePerS: 10 }, evaluation: { costUsdPerRequest: 1e-6, p99Ms: 100 }, requests: 200, sloAttainment: 1, model: 'm',
});
const applied = (atMs: number, reason = 'constrained EI over the best feasible observation'): ModelTuningEvent => ({ kind: 'applied', atMs, config, reason, model: 'm' });
const changePoint = (atMs: number): ModelTuningEvent => ({ kind: 'change-point', atMs, arrivalRatePerS: 50, reason: 'arrival rate shifted', model: 'm' });

describe('tuning episodes from the autotune events', () => {
  it('an episode ends at the move to the incumbent, or at the window closing its last trial, or at the next change point', () => {
    const events = [
      // Episode 1 (from 1,000): two trials, then the stopping rule moves to the incumbent at 70,000.
      evaluated(20_000), applied(20_000), evaluated(45_000), applied(45_000), evaluated(70_000), applied(70_000, 'stopping rule fired: incumbent'), evaluated(95_000),
      // Episode 2 (from 100,000): one trial, whose window closes at 150,000; the tuner stays on it.
      changePoint(100_000), evaluated(125_000), applied(125_000), evaluated(150_000), evaluated(175_000),
      // Episode 3 (from 200,000): still exploring when the run ends at 260,000.
      changePoint(200_000), evaluated(225_000), applied(225_000),
    ];
    expect(tuningEpisodes(events, 1000, 260_000)).toEqual([
      { startMs: 1000, endMs: 70_000 },
      { startMs: 100_000, endMs: 150_000 },
      { startMs: 200_000, endMs: 260_000 },
    ]);
  });

  it('an episode that never changes the configuration ends at its first evaluation; a change point cuts one short', () => {
    expect(tuningEpisodes([evaluated(20_000), evaluated(40_000)], 0, 100_000)).toEqual([{ startMs: 0, endMs: 20_000 }]);
    expect(tuningEpisodes([evaluated(20_000), applied(20_000), changePoint(30_000), evaluated(50_000)], 0, 100_000))
      .toEqual([{ startMs: 0, endMs: 30_000 }, { startMs: 30_000, endMs: 50_000 }]);
    // Tuning that stopped on an error ends its episode there.
    expect(tuningEpisodes([applied(10_000), { kind: 'stopped', atMs: 12_000, config, reason: 'tuning stopped', model: 'm' }], 0, 100_000))
      .toEqual([{ startMs: 0, endMs: 12_000 }]);
  });

  it("batch's episodes: its profiling window, then a settling minute after each later choice", () => {
    expect(reconfigurationEpisodes([360_000, 900_000, 3_590_000], 0, 3_600_000)).toEqual([
      { startMs: 0, endMs: 360_000 },
      { startMs: 360_000, endMs: 420_000 },
      { startMs: 900_000, endMs: 960_000 },
      { startMs: 3_590_000, endMs: 3_600_000 },
    ]);
    // Never chose: all of it was profiling.
    expect(reconfigurationEpisodes([], 5, 100)).toEqual([{ startMs: 5, endMs: 100 }]);
  });
});
