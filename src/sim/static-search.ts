import { billedDurationMs, invocationCostUsd } from '../core/billing.js';
import type { Rng } from '../core/random.js';
import { describeConfig, staticPolicy, type StaticConfig } from './policies/static.js';
import { simulatePolicy, type SimulationSetup } from './simulate.js';

export type Candidate = StaticConfig & { maxWaitMs?: number };

export interface SearchResult {
  best: Candidate | undefined;
  costPerRequestUsd: number;
  sloAttainment: number;
  /** Candidates simulated (the rest were bounded out). */
  simulated: number;
  candidates: number;
}

/**
 * The cheapest candidate configuration that keeps at least `minAttainment` of the
 * requests within the SLO on `scheduleMs`, found by simulating candidates: cheapest lower
 * bound first, stopping once a candidate's bound exceeds the best cost found. The bound is
 * what a full batch at the profile's median service time costs per request (a batch never
 * costs less per request than a full one, and a draw's mean is at least its median), so no
 * candidate that could win is skipped. Runs start warm and leave warm-up cost out: what is
 * compared is the configuration, not the switch to it.
 */
export function searchStatic(setup: SimulationSetup, candidates: readonly Candidate[], scheduleMs: readonly number[], rng: Rng, minAttainment = 0.99): SearchResult {
  const bound = (c: Candidate) => {
    const p50 = setup.latency.forMemory(c.batchSize, c.processes, c.threadsPerProcess, c.memoryMb).p50Ms;
    return invocationCostUsd(billedDurationMs(p50), c.memoryMb) / c.batchSize;
  };
  const ordered = candidates.map((c) => ({ c, lowerUsd: bound(c) })).sort((a, b) => a.lowerUsd - b.lowerUsd);
  let best: Candidate | undefined;
  let bestCost = Infinity;
  let bestAttainment = 0;
  let simulated = 0;
  const seed = Math.floor(rng.next() * 2 ** 31);
  for (const { c, lowerUsd } of ordered) {
    if (lowerUsd >= bestCost) break;
    simulated++;
    // Warm as `ferry serve` does with its 4 instances, however many the setup warms.
    const result = simulatePolicy(staticPolicy(c, describeConfig(c)), {
      ...setup, scheduleMs, seed, windowMs: 3_600_000, abortBelowAttainment: minAttainment, recordAnswers: false, warmInstances: Math.max(4, setup.warmInstances),
    });
    const costUsd = (result.costUsd - result.warmupCostUsd) / Math.max(1, result.answered);
    if (result.sloAttainment >= minAttainment && costUsd < bestCost) {
      best = c;
      bestCost = costUsd;
      bestAttainment = result.sloAttainment;
    }
  }
  return { best, costPerRequestUsd: bestCost, sloAttainment: bestAttainment, simulated, candidates: candidates.length };
}
