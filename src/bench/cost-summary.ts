/**
 * `ferry bench cost` over several seeds, and issue 11's targets counted by code rather than
 * by hand. One seed moves a cell by more than most tuner changes do (docs/tuning.md), so a
 * change is judged on the median of each cell over seeds; the peers' rows need not come
 * from the same run as joint-bo's (their code did not change), only from the same seed.
 */
import { FerryError } from '../core/errors.js';
import { median } from '../core/stats.js';
import type { CostCell } from './cost-matrix.js';

/** The cells of one seed's run. */
export interface SeededCells {
  seed: number;
  cells: readonly CostCell[];
}

/** One policy of one cell over the seeds that ran it. */
export interface PolicySummary {
  policy: string;
  seeds: number;
  /** Median over seeds. */
  costPerMillionUsd: number;
  minCostPerMillionUsd: number;
  maxCostPerMillionUsd: number;
  /** Median over seeds. */
  sloAttainment: number;
  /** Median over the seeds whose run had requests inside tuning episodes. */
  episodesSloAttainment?: number;
  /** Medians of what was billed per request inside episodes, and outside them (settled). */
  episodesCostPerMillionUsd?: number;
  settledCostPerMillionUsd?: number;
}

/** Issue 11's targets for joint-bo in one cell, on the medians. */
export interface CellTargets {
  /** Cheaper than every peer present (per-request, power-tuned, batch, aimd) at >= 99% within the SLO. */
  cheapestAtSlo: boolean;
  /** cost / the oracle bound's. */
  ratioToOracle?: number;
  /** 1 - cost / per-request's. */
  savingVsPerRequest?: number;
  savingVsPowerTuned?: number;
  sloAtLeast99: boolean;
  /** Undefined: no request arrived inside a tuning episode, so none could miss there. */
  episodesAtLeast98?: boolean;
}

export interface CellSummary {
  model: string;
  trace: string;
  sloMs: number;
  seeds: number[];
  policies: PolicySummary[];
  /** The cheapest policy but the oracle (a bound, not a policy). */
  cheapest?: string;
  /** Where joint-bo ran. */
  targets?: CellTargets;
}

/** The counts of issue 11's targets over the cells where joint-bo ran. */
export interface TargetTally {
  cells: number;
  cheapestAtSlo: number;
  withinOracle12: number;
  sloAtLeast99: number;
  episodesAtLeast98: number;
  cheaperThanPerRequest: number;
  cheaperThanPowerTuned: number;
  /** Cells where a peer's median was missing, so "cheapest" could not be judged against it. */
  peersMissing: number;
  medianRatioToOracle?: number;
  sumCostPerMillionUsd: number;
  meanSloAttainment: number;
  /** The largest saving against per-request, and where. */
  bestSaving?: { savingVsPerRequest: number; model: string; trace: string; sloMs: number };
  /** How often each policy is the cheapest but the oracle. */
  cheapestBy: Record<string, number>;
}

/** The peers joint-bo must beat in cost (issue 11, item 2). */
export const costPeers: readonly string[] = ['per-request', 'power-tuned', 'batch', 'aimd'];
export const sloTarget = 0.99;
export const episodesSloTarget = 0.98;
export const oracleRatioTarget = 1.2;

const cellKey = (c: { model: string; trace: string; sloMs: number }) => `${c.model}\u0000${c.trace}\u0000${c.sloMs}`;

/**
 * Medians per cell and policy over the seeds. Rows of the same seed and cell may come from
 * several runs (joint-bo re-run after a change, the peers from an earlier run); the same
 * policy twice for one seed and cell is an error, since either could be the one meant.
 * Cells keep the order they first appear in.
 */
export function summarizeCost(runs: readonly SeededCells[]): CellSummary[] {
  const byCell = new Map<string, { cell: CostCell; bySeedPolicy: Map<string, CostCell['rows'][number]>; seeds: Set<number> }>();
  for (const { seed, cells } of runs) {
    for (const cell of cells) {
      const key = cellKey(cell);
      let entry = byCell.get(key);
      if (!entry) byCell.set(key, entry = { cell, bySeedPolicy: new Map(), seeds: new Set() });
      entry.seeds.add(seed);
      for (const row of cell.rows) {
        const rowKey = `${seed}\u0000${row.policy}`;
        if (entry.bySeedPolicy.has(rowKey)) {
          throw new FerryError('INVALID_ARGUMENT', `Expected one ${row.policy} row per seed for ${cell.model} ${cell.trace} SLO ${cell.sloMs} ms, got two for seed ${seed}`);
        }
        entry.bySeedPolicy.set(rowKey, row);
      }
    }
  }
  return [...byCell.values()].map(({ cell, bySeedPolicy, seeds }) => {
    const rowsByPolicy = new Map<string, CostCell['rows'][number][]>();
    for (const row of bySeedPolicy.values()) {
      const list = rowsByPolicy.get(row.policy) ?? [];
      list.push(row);
      rowsByPolicy.set(row.policy, list);
    }
    const policies = [...rowsByPolicy.entries()].map(([policy, rows]) => summarizePolicy(policy, rows));
    const summary: CellSummary = { model: cell.model, trace: cell.trace, sloMs: cell.sloMs, seeds: [...seeds].sort((a, b) => a - b), policies };
    const cheapest = cheapestPolicy(policies);
    if (cheapest) summary.cheapest = cheapest;
    const targets = cellTargets(policies);
    if (targets) summary.targets = targets;
    return summary;
  });
}

function summarizePolicy(policy: string, rows: readonly CostCell['rows'][number][]): PolicySummary {
  const costs = rows.map((r) => r.costPerMillionUsd);
  // A field some seeds lack (no request inside an episode, or a JSON of an earlier revision) is the median of those that have it.
  const medianOf = <K extends string>(key: K, pick: (r: CostCell['rows'][number]) => number | undefined): { [P in K]?: number } => {
    const values = rows.map(pick).filter((v): v is number => v !== undefined);
    return (values.length > 0 ? { [key]: median(values) } : {}) as { [P in K]?: number };
  };
  return {
    policy, seeds: rows.length, costPerMillionUsd: median(costs), minCostPerMillionUsd: Math.min(...costs), maxCostPerMillionUsd: Math.max(...costs),
    sloAttainment: median(rows.map((r) => r.sloAttainment)),
    ...medianOf('episodesSloAttainment', (r) => r.episodes?.sloAttainment),
    ...medianOf('episodesCostPerMillionUsd', (r) => r.episodes?.costPerMillionUsd),
    ...medianOf('settledCostPerMillionUsd', (r) => r.episodes?.settledCostPerMillionUsd),
  };
}

function cheapestPolicy(policies: readonly PolicySummary[]): string | undefined {
  let best: PolicySummary | undefined;
  for (const p of policies) if (p.policy !== 'oracle' && (!best || p.costPerMillionUsd < best.costPerMillionUsd)) best = p;
  return best?.policy;
}

/** The targets of issue 11, item 2, for joint-bo in one cell (undefined where joint-bo did not run). */
export function cellTargets(policies: readonly PolicySummary[]): CellTargets | undefined {
  const find = (name: string) => policies.find((p) => p.policy === name);
  const jointBo = find('joint-bo');
  if (!jointBo) return undefined;
  const cost = jointBo.costPerMillionUsd;
  const ratio = (other: PolicySummary | undefined) => (other && other.costPerMillionUsd > 0 ? cost / other.costPerMillionUsd : undefined);
  const sloAtLeast99 = jointBo.sloAttainment >= sloTarget;
  const peers = costPeers.map(find);
  const targets: CellTargets = {
    cheapestAtSlo: sloAtLeast99 && peers.every((p) => p !== undefined && cost < p.costPerMillionUsd),
    sloAtLeast99,
  };
  const oracle = ratio(find('oracle'));
  if (oracle !== undefined) targets.ratioToOracle = oracle;
  const perRequest = ratio(find('per-request'));
  if (perRequest !== undefined) targets.savingVsPerRequest = 1 - perRequest;
  const powerTuned = ratio(find('power-tuned'));
  if (powerTuned !== undefined) targets.savingVsPowerTuned = 1 - powerTuned;
  if (jointBo.episodesSloAttainment !== undefined) targets.episodesAtLeast98 = jointBo.episodesSloAttainment >= episodesSloTarget;
  return targets;
}

/** The counts over every cell where joint-bo ran. */
export function tallyTargets(cells: readonly CellSummary[]): TargetTally {
  const withJointBo = cells.filter((c) => c.targets);
  const jointBo = (c: CellSummary) => c.policies.find((p) => p.policy === 'joint-bo')!;
  const ratios = withJointBo.map((c) => c.targets!.ratioToOracle).filter((r): r is number => r !== undefined);
  const count = (test: (c: CellSummary, t: CellTargets) => boolean) => withJointBo.filter((c) => test(c, c.targets!)).length;
  let bestSaving: TargetTally['bestSaving'];
  for (const c of withJointBo) {
    const saving = c.targets!.savingVsPerRequest;
    if (saving !== undefined && (!bestSaving || saving > bestSaving.savingVsPerRequest)) bestSaving = { savingVsPerRequest: saving, model: c.model, trace: c.trace, sloMs: c.sloMs };
  }
  const cheapestBy: Record<string, number> = {};
  for (const c of cells) if (c.cheapest) cheapestBy[c.cheapest] = (cheapestBy[c.cheapest] ?? 0) + 1;
  return {
    cells: withJointBo.length,
    cheapestAtSlo: count((_, t) => t.cheapestAtSlo),
    withinOracle12: count((_, t) => t.ratioToOracle !== undefined && t.ratioToOracle <= oracleRatioTarget),
    sloAtLeast99: count((_, t) => t.sloAtLeast99),
    episodesAtLeast98: count((_, t) => t.episodesAtLeast98 !== false),
    cheaperThanPerRequest: count((_, t) => t.savingVsPerRequest !== undefined && t.savingVsPerRequest > 0),
    cheaperThanPowerTuned: count((_, t) => t.savingVsPowerTuned !== undefined && t.savingVsPowerTuned > 0),
    peersMissing: count((c) => costPeers.some((name) => !c.policies.some((p) => p.policy === name))),
    ...(ratios.length > 0 ? { medianRatioToOracle: median(ratios) } : {}),
    sumCostPerMillionUsd: withJointBo.reduce((sum, c) => sum + jointBo(c).costPerMillionUsd, 0),
    meanSloAttainment: withJointBo.length > 0 ? withJointBo.reduce((sum, c) => sum + jointBo(c).sloAttainment, 0) / withJointBo.length : 0,
    ...(bestSaving ? { bestSaving } : {}),
    cheapestBy,
  };
}
