import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentileMs, type LoadTally } from './load.js';
import type { StackStats } from './protocol.js';
import { outDir } from './stack-client.js';

/** The gateway's own ledger over one scenario: the difference of two snapshots. */
export interface ServerLedger {
  accepted: number;
  answeredOnce: number;
  pending: number;
  doubled: number;
  withdrawn: number;
}

export function ledger(before: StackStats, after: StackStats): ServerLedger {
  return {
    accepted: after.accepted - before.accepted,
    answeredOnce: after.answeredOnce - before.answeredOnce,
    pending: after.pending,
    doubled: after.doubled - before.doubled,
    withdrawn: after.withdrawn - before.withdrawn,
  };
}

export interface ScenarioResult {
  scenario: string;
  requests: number;
  answered: number;
  errorsByCode: Record<string, number>;
  /** Client requests without an answer, plus requests the gateway accepted and never answered. */
  lost: number;
  /** Answers with another request's id, plus requests the gateway answered more than once. */
  duplicated: number;
  latencyMs?: { p50: number; p99: number; max: number; boundMs: number; overBound: number };
  server?: ServerLedger;
  notes?: Record<string, unknown>;
}

const resultsFile = path.join(outDir, 'last-run.json');

/** Prints one scenario's line (the suite's output) and keeps it in out/reliability/last-run.json. */
export function report(scenario: string, tally: LoadTally | undefined, server?: ServerLedger, notes?: Record<string, unknown>, boundMs?: number): ScenarioResult {
  const errorsByCode = Object.fromEntries(Object.entries(tally?.byCode ?? {}).filter(([code]) => code !== 'ok'));
  const result: ScenarioResult = {
    scenario,
    requests: tally?.requests ?? 0,
    answered: tally?.answered ?? 0,
    errorsByCode,
    lost: (tally?.lost ?? 0) + (server?.pending ?? 0),
    duplicated: (tally?.duplicated ?? 0) + (server?.doubled ?? 0),
    ...(tally && tally.latenciesMs.length > 0 ? {
      latencyMs: {
        p50: percentileMs(tally.latenciesMs, 50), p99: percentileMs(tally.latenciesMs, 99), max: percentileMs(tally.latenciesMs, 100),
        boundMs: boundMs ?? 0, overBound: tally.overBound,
      },
    } : {}),
    ...(server ? { server } : {}),
    ...(notes ? { notes } : {}),
  };
  const errors = Object.keys(errorsByCode).length === 0 ? 'none' : Object.entries(errorsByCode).map(([c, n]) => `${c} ${n}`).join(', ');
  const parts = [
    `requests ${result.requests}`, `answered ${result.answered}`, `errors by code: ${errors}`, `lost ${result.lost}`, `duplicated ${result.duplicated}`,
  ];
  if (result.server) parts.push(`gateway: accepted ${result.server.accepted}, answered once ${result.server.answeredOnce}, unanswered ${result.server.pending}, answered twice ${result.server.doubled}, withdrawn ${result.server.withdrawn}`);
  if (result.latencyMs) parts.push(`latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms (bound ${result.latencyMs.boundMs} ms, ${result.latencyMs.overBound} over)`);
  if (tally && Object.keys(tally.failures).length > 0) parts.push(`transport failures: ${JSON.stringify(tally.failures)}`);
  // The machine's 1-minute load average: on a shared 2-core machine, it explains most of the latency.
  result.notes = { ...result.notes, 'load average': Math.round(os.loadavg()[0]! * 10) / 10 };
  parts.push(Object.entries(result.notes).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; '));
  console.log(`\n[reliability] ${scenario}: ${parts.join(' | ')}`);
  mkdirSync(outDir, { recursive: true });
  const all = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, ScenarioResult>) : {};
  all[scenario] = result;
  writeFileSync(resultsFile, `${JSON.stringify(all, null, 2)}\n`);
  return result;
}
