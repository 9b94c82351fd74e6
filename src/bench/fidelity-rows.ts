import type { FidelityDiagnostics, FidelityOptions } from './fidelity.js';

/** What one side (live or simulated) of a fidelity comparison measured for a policy. */
export interface FidelitySide {
  /** Billed cost per million requests answered, the initial warm-up excluded. */
  costPerMillionUsd: number;
  p99Ms: number;
  /** Share of all requests sent answered within the SLO. */
  sloAttainment: number;
}

/** One row of `ferry bench fidelity --json`. */
export interface FidelityRow {
  policy: string;
  live: FidelitySide;
  /** The simulator with the host load measured during the live replay (`hostLoad`). */
  sim: FidelitySide;
  /** The simulator on a dedicated host (no foreign load): what it says without the measurement. */
  simDedicatedHost?: FidelitySide;
  /** What else wanted the host's cores during the live replay, in cores: other programs' runnable threads (mean) and the benchmark's own process (gateway, load generator, runtime API). */
  hostBackgroundCores?: number;
  /** Why the live side has no figures (it could not start). */
  liveError?: string;
  /** (sim - live) / live; null when live is 0 (no relative error exists). */
  costRelErr: number | null;
  p99RelErr: number | null;
}

/** The static rows' targets (the simulator is meant to be this close to live). */
export const fidelityTargets = { costRelErr: 0.15, p99RelErr: 0.25 } as const;

export function relErr(sim: number, live: number): number | null {
  if (!Number.isFinite(sim) || !Number.isFinite(live) || live === 0) return null;
  return (sim - live) / live;
}

export function fidelityRow(policy: string, live: FidelitySide, sim: FidelitySide, extra: Pick<FidelityRow, 'simDedicatedHost' | 'hostBackgroundCores'> = {}): FidelityRow {
  return { policy, live, sim, ...extra, costRelErr: relErr(sim.costPerMillionUsd, live.costPerMillionUsd), p99RelErr: relErr(sim.p99Ms, live.p99Ms) };
}

/** Whether a row is within the targets (static rows are held to them; joint-bo is reported). */
export function withinTargets(row: FidelityRow): boolean {
  return row.costRelErr !== null && row.p99RelErr !== null &&
    Math.abs(row.costRelErr) <= fidelityTargets.costRelErr && Math.abs(row.p99RelErr) <= fidelityTargets.p99RelErr;
}

/** The median of each field over repeated runs of the same rows (the machine is shared: noise). */
export function medianRows(runs: readonly FidelityRow[][]): FidelityRow[] {
  if (runs.length === 0) return [];
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  return runs[0]!.map((first, i) => {
    const side = (pick: (row: FidelityRow) => FidelitySide): FidelitySide => ({
      costPerMillionUsd: median(runs.map((r) => pick(r[i]!).costPerMillionUsd)),
      p99Ms: median(runs.map((r) => pick(r[i]!).p99Ms)),
      sloAttainment: median(runs.map((r) => pick(r[i]!).sloAttainment)),
    });
    const dedicated = runs.every((r) => r[i]!.simDedicatedHost !== undefined) ? { simDedicatedHost: side((r) => r.simDedicatedHost!) } : {};
    const foreign = runs.map((r) => r[i]!.hostBackgroundCores).filter((x): x is number => x !== undefined);
    return fidelityRow(first.policy, side((r) => r.live), side((r) => r.sim), {
      ...dedicated, ...(foreign.length === runs.length ? { hostBackgroundCores: median(foreign) } : {}),
    });
  });
}

export function formatFidelityTable(rows: readonly FidelityRow[]): string[] {
  const pct = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
  const lines = [
    '| policy | host load | live $/M req | sim $/M req | cost err | live p99 ms | sim p99 ms | p99 err | live SLO met | sim SLO met | sim, dedicated host: $/M, p99 ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const load = r.hostBackgroundCores === undefined ? '-' : r.hostBackgroundCores.toFixed(2);
    const d = r.simDedicatedHost;
    const dedicated = d ? `${d.costPerMillionUsd.toFixed(2)}, ${Number.isFinite(d.p99Ms) ? d.p99Ms.toFixed(0) : 'inf'}` : '-';
    lines.push(`| ${r.policy} | ${load} | ${r.live.costPerMillionUsd.toFixed(2)} | ${r.sim.costPerMillionUsd.toFixed(2)} | ${pct(r.costRelErr)} | ` +
      `${r.live.p99Ms.toFixed(0)} | ${Number.isFinite(r.sim.p99Ms) ? r.sim.p99Ms.toFixed(0) : 'inf'} | ${pct(r.p99RelErr)} | ` +
      `${(r.live.sloAttainment * 100).toFixed(2)}% | ${(r.sim.sloAttainment * 100).toFixed(2)}% | ${dedicated} |`);
  }
  return lines;
}

/** The `ferry bench fidelity --json` contract. */
export interface FidelityOutput {
  machine: string;
  quota: string;
  options: Omit<FidelityOptions, 'cacheDir' | 'policies'> & { runs: number };
  targets: typeof fidelityTargets;
  /** Medians over the runs. */
  rows: FidelityRow[];
  /** Every run's rows and per-invocation terms (service time vs billed duration, INIT). */
  runs: Array<{ rows: FidelityRow[]; diagnostics: FidelityDiagnostics[] }>;
}

export function fidelityOutput(base: Omit<FidelityOutput, 'rows'>): FidelityOutput {
  return { ...base, rows: medianRows(base.runs.map((r) => r.rows)) };
}
