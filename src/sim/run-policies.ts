import { performance } from 'node:perf_hooks';
import { policyEntry, type PolicyOptions } from './policies/index.js';
import { simulatePolicy, type PolicyResult, type SimulationSetup } from './simulate.js';

/** One row of `ferry simulate --json`: a policy's result, with its variants where it has two. */
export interface PolicyRow extends Omit<PolicyResult, 'windows' | 'tuningEvents' | 'events' | 'simulatedS' | 'answerLog'> {
  /** Wall time this policy's run(s) took, in s (the one field that differs between identical runs). */
  wallS: number;
  variants?: Array<{ name: string; costPerMillionUsd: number; sloAttainment: number; p99Ms: number; detail: string }>;
}

export interface PolicyRunResult {
  row: PolicyRow;
  /** The chosen variant's full result (its timeline, for the plot). */
  result: PolicyResult;
  events: number;
}

/**
 * Runs a policy's variants and reports the strongest: the cheapest among those that kept
 * 99% of requests within the SLO, or the cheapest if none did.
 */
export function runPolicy(name: string, setup: SimulationSetup, options: PolicyOptions, onVariant: (name: string) => void = () => undefined): PolicyRunResult {
  const entry = policyEntry(name);
  if (!entry) throw new RangeError(`unknown policy ${name}`);
  const startMs = performance.now();
  const results = entry.variants(options).map((policy) => {
    onVariant(policy.name);
    return simulatePolicy(policy, setup);
  });
  const safe = results.filter((r) => r.sloAttainment >= 0.99);
  const pool = safe.length > 0 ? safe : results;
  const chosen = pool.reduce((a, b) => (b.costPerMillionUsd < a.costPerMillionUsd ? b : a));
  const { windows: _windows, tuningEvents: _tuning, events: _events, simulatedS: _simulatedS, answerLog: _answerLog, ...totals } = chosen;
  const row: PolicyRow = {
    ...totals,
    name: entry.name,
    detail: results.length > 1 ? `${chosen.name}: ${chosen.detail}` : chosen.detail,
    wallS: (performance.now() - startMs) / 1000,
    ...(results.length > 1 ? { variants: results.map((r) => ({ name: r.name, costPerMillionUsd: r.costPerMillionUsd, sloAttainment: r.sloAttainment, p99Ms: r.p99Ms, detail: r.detail })) } : {}),
  };
  return { row, result: { ...chosen, name: entry.name }, events: results.reduce((sum, r) => sum + r.events, 0) };
}
