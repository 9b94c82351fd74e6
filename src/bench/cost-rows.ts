import type { PolicyRow } from '../sim/run-policies.js';
import type { PolicyResult } from '../sim/simulate.js';
import { attainmentInside, costInside, hostBreakEvenRatePerS, ratioTo, savingShare, withHostPerMillionUsd, type Interval } from './cost-columns.js';
import { reconfigurationEpisodes, tuningEpisodes } from './cost-episodes.js';

/** Policies that serve through ferry's gateway, so need its always-on host; per-request and power-tuned invoke directly. */
export const gatewayPolicies: ReadonlySet<string> = new Set(['batch', 'aimd', 'static', 'joint-bo', 'oracle']);

/** One policy of one cell: `ferry bench cost`'s columns (the `--json` contract, per row). */
export interface CostRow {
  policy: string;
  costPerMillionUsd: number;
  /** 1 - cost / per-request's (the cheaper of 1 and 2 ONNX threads). */
  savingVsPerRequest?: number;
  savingVsPowerTuned?: number;
  ratioToOracle?: number;
  sloAttainment: number;
  /** Inside tuning episodes alone (joint-bo's, from its events; batch's re-optimizations); absent for the others. */
  episodes?: {
    count: number;
    /** Simulated time inside episodes (s). */
    seconds: number;
    requests: number;
    /** Undefined when no request arrived inside an episode. */
    sloAttainment?: number;
    /**
     * Billed for invocations dispatched inside episodes, per million requests that arrived
     * inside them: what tuning costs while it runs (undefined without such requests).
     */
    costPerMillionUsd?: number;
    /** The same outside episodes: what the configurations settled on cost (undefined: none). */
    settledCostPerMillionUsd?: number;
    /** Requests that arrived outside episodes. */
    settledRequests: number;
  };
  p50Ms: number;
  p99Ms: number;
  requests: number;
  throttled: number;
  errors: number;
  configChanges: number;
  coldStarts: number;
  invocations: number;
  /** Gateway policies: the cost with the gateway host's price over the trace added, and the savings on that basis. */
  withHost?: {
    costPerMillionUsd: number;
    savingVsPerRequest?: number;
    savingVsPowerTuned?: number;
    /** Rate below which the host eats the saving (hostBreakEvenRatePerS); absent: no saving to eat. */
    breakEvenVsPerRequestPerS?: number;
    breakEvenVsPowerTunedPerS?: number;
  };
  detail: string;
  variants?: PolicyRow['variants'];
  wallS: number;
}

export interface CostRowContext {
  /** The trace's length (s): what the host runs for. */
  durationS: number;
  gatewayHostUsdPerH: number;
}

/** The episodes of a policy's run, where it has any. */
export function episodesOf(result: PolicyResult, policy: string): Interval[] | undefined {
  const log = result.answerLog;
  if (!log) return undefined;
  const endMs = log.trafficStartMs + result.simulatedS * 1000;
  if (policy === 'joint-bo') return tuningEpisodes(result.tuningEvents, log.trafficStartMs, endMs);
  if (policy === 'batch') return reconfigurationEpisodes(log.configChangesAtMs, log.trafficStartMs, endMs);
  return undefined;
}

/** The columns of every policy of a cell, from their runs (the baselines are found among them by name). */
export function buildCostRows(runs: readonly { row: PolicyRow; result: PolicyResult }[], context: CostRowContext): CostRow[] {
  const cost = (name: string) => runs.find((r) => r.row.name === name)?.row.costPerMillionUsd;
  const perRequest = cost('per-request');
  const powerTuned = cost('power-tuned');
  const oracle = cost('oracle');
  return runs.map(({ row, result }) => {
    const intervals = episodesOf(result, row.name);
    const log = result.answerLog;
    let episodes: CostRow['episodes'];
    if (intervals && log) {
      const inside = attainmentInside(intervals, log.arrivalMs, log.withinSlo);
      const billed = costInside(intervals, log.invocationAtMs, log.invocationCostUsd);
      const settledRequests = log.arrivalMs.length - inside.requests;
      episodes = {
        count: intervals.length, seconds: intervals.reduce((sum, i) => sum + Math.max(0, i.endMs - i.startMs), 0) / 1000,
        requests: inside.requests, ...(inside.attainment === undefined ? {} : { sloAttainment: inside.attainment }),
        ...(inside.requests > 0 ? { costPerMillionUsd: (billed.insideUsd / inside.requests) * 1e6 } : {}),
        ...(settledRequests > 0 ? { settledCostPerMillionUsd: (billed.outsideUsd / settledRequests) * 1e6 } : {}),
        settledRequests,
      };
    }
    let withHost: CostRow['withHost'];
    if (gatewayPolicies.has(row.name)) {
      const hosted = withHostPerMillionUsd(row.costPerMillionUsd, row.requests, context.gatewayHostUsdPerH, context.durationS);
      const vsPerRequest = hostBreakEvenRatePerS(row.costPerMillionUsd, perRequest, context.gatewayHostUsdPerH);
      const vsPowerTuned = hostBreakEvenRatePerS(row.costPerMillionUsd, powerTuned, context.gatewayHostUsdPerH);
      withHost = {
        costPerMillionUsd: hosted,
        ...optional('savingVsPerRequest', savingShare(hosted, perRequest)),
        ...optional('savingVsPowerTuned', savingShare(hosted, powerTuned)),
        ...optional('breakEvenVsPerRequestPerS', vsPerRequest),
        ...optional('breakEvenVsPowerTunedPerS', vsPowerTuned),
      };
    }
    return {
      policy: row.name, costPerMillionUsd: row.costPerMillionUsd,
      ...(row.name !== 'per-request' ? optional('savingVsPerRequest', savingShare(row.costPerMillionUsd, perRequest)) : {}),
      ...(row.name !== 'power-tuned' ? optional('savingVsPowerTuned', savingShare(row.costPerMillionUsd, powerTuned)) : {}),
      ...(row.name !== 'oracle' ? optional('ratioToOracle', ratioTo(row.costPerMillionUsd, oracle)) : {}),
      sloAttainment: row.sloAttainment,
      ...(episodes ? { episodes } : {}),
      p50Ms: row.p50Ms, p99Ms: row.p99Ms, requests: row.requests, throttled: row.throttled, errors: row.errors,
      configChanges: row.configChanges, coldStarts: row.coldStarts, invocations: row.invocations,
      ...(withHost ? { withHost } : {}),
      detail: row.detail, ...(row.variants ? { variants: row.variants } : {}), wallS: row.wallS,
    };
  });
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}
