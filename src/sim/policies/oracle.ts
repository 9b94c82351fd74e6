import { ConfigSpace } from '../../core/config-space.js';
import type { Rng } from '../../core/random.js';
import { searchStatic, type Candidate } from '../static-search.js';
import type { Policy, SimulationSetup } from '../simulate.js';
import { describeConfig, modelConfig } from './static.js';

export interface OracleSegment {
  startS: number;
  requests: number;
  config: Candidate | undefined;
  costPerRequestUsd: number;
  sloAttainment: number;
}

/** The grid both the oracle and joint-bo search: ferry's ConfigSpace, one thread per process. */
export function gridCandidates(space = new ConfigSpace()): Candidate[] {
  return space.configs.map((c) => ({ ...c, threadsPerProcess: 1 }));
}

/**
 * For each segment of the trace, the cheapest configuration of the whole grid that keeps
 * at least 99% of that segment's requests within the SLO, found by simulating the grid on
 * the segment (static-search.ts), in hindsight. A lower bound on what any policy that
 * switches configurations at segment edges could pay, not a real policy: it knows the
 * future and pays no switching or cold-start cost. Computed before the main run; the run
 * then applies each segment's configuration at its start for the timeline, and its cost is
 * the sum of the segments' searched costs.
 */
export function oraclePlan(setup: SimulationSetup, segmentMs: number, rng: Rng): OracleSegment[] {
  const need = setup.platform.memoryNeedMb;
  const candidates = gridCandidates(new ConfigSpace(need ? { memoryNeed: need } : {}));
  const segments: OracleSegment[] = [];
  const schedule = setup.scheduleMs;
  const endMs = schedule.length > 0 ? schedule[schedule.length - 1]! : 0;
  let index = 0;
  for (let fromMs = 0; fromMs <= endMs; fromMs += segmentMs) {
    const slice: number[] = [];
    while (index < schedule.length && schedule[index]! < fromMs + segmentMs) slice.push(schedule[index++]! - fromMs);
    if (slice.length === 0) {
      segments.push({ startS: fromMs / 1000, requests: 0, config: undefined, costPerRequestUsd: 0, sloAttainment: 1 });
      continue;
    }
    const found = searchStatic(setup, candidates, slice, rng.fork());
    segments.push({ startS: fromMs / 1000, requests: slice.length, config: found.best, costPerRequestUsd: found.costPerRequestUsd, sloAttainment: found.sloAttainment });
  }
  return segments;
}

export function oraclePolicy(segmentS = 300): Policy {
  return {
    name: 'oracle',
    create: (setup, rng) => {
      const plan = oraclePlan(setup, segmentS * 1000, rng);
      const first = plan.find((s) => s.config)?.config ?? { memoryMb: 3008, batchSize: 1, processes: 1, threadsPerProcess: 1 };
      const infeasible = plan.filter((s) => s.requests > 0 && !s.config).length;
      const feasible = plan.filter((s) => s.config);
      const bound = {
        costUsd: feasible.reduce((sum, s) => sum + s.costPerRequestUsd * s.requests, 0),
        requests: feasible.reduce((sum, s) => sum + s.requests, 0),
        withinSlo: feasible.reduce((sum, s) => sum + s.sloAttainment * s.requests, 0),
      };
      return {
        config: modelConfig(first, setup.sloMs),
        start: ({ clock, gateway }) => {
          for (const segment of plan) {
            if (!segment.config) continue;
            const config = segment.config;
            clock.setTimer(segment.startS * 1000, () => gateway.applyConfig(setup.model, modelConfig(config, setup.sloMs), () => undefined));
          }
        },
        bound,
        describe: () => `${plan.length} segments of ${segmentS} s` + (infeasible > 0 ? `, ${infeasible} with no configuration meeting 99% (left out of the bound)` : '') +
          `; ${[...new Set(plan.filter((s) => s.config).map((s) => describeConfig(s.config!)))].slice(0, 4).join('; ')}`,
      };
    },
  };
}
