import type { BayesOptOptions } from '../core/bayes-opt.js';
import { quantile } from '../core/stats.js';
import { generateFamily, holdoutFamilies, type FamilyModel } from './surface-families.js';
import { runSurfaceBench, type SurfaceRow, type TunerBenchOptions } from './tuner-bench.js';

/**
 * `ferry bench tuner --families NAMES`: the `--surface` contract (cost and p99 only) on
 * generated surface families (surface-families.ts), one row per case and, per family, the
 * median of the cases' medians (the issue's target: at most 7, and no failures).
 */
export interface FamilyResult {
  family: string;
  medianOfMedians: number;
  worstMedian: number;
  /** Runs, over all cases and seeds, not within the budget. */
  failures: number;
  casesWithFailures: number;
  models: FamilyModel[];
  rows: SurfaceRow[];
}

export function runFamilyBench(
  names: readonly string[], options: TunerBenchOptions, variant: Partial<BayesOptOptions> = {}, log: (line: string) => void = () => undefined,
): { families: FamilyResult[] } {
  const families = names.map((name) => {
    log(`tuner bench: family ${name}${holdoutFamilies.includes(name) ? ' (a holdout)' : ''}`);
    const generated = generateFamily(name);
    const { rows } = runSurfaceBench(generated.file, { ...options, meanBatch: false }, variant);
    const medians = rows.map((r) => r.medianEvals);
    return {
      family: name,
      medianOfMedians: quantile(medians, 0.5),
      worstMedian: Math.max(...medians),
      failures: rows.reduce((sum, r) => sum + r.failures, 0),
      casesWithFailures: rows.filter((r) => r.failures > 0).length,
      models: generated.models,
      rows,
    };
  });
  return { families };
}

export function printFamilyBench(result: { families: FamilyResult[] }, options: TunerBenchOptions): void {
  const budget = options.budget ?? 40;
  console.log(`\nferry bench tuner --families: evaluations until a truly feasible configuration within 5% of the optimum is evaluated, cost and p99 only`);
  console.log(`(median / p90 over ${options.seeds} seeds, ${((options.noise ?? 0.03) * 100).toFixed(0)}% log-normal noise, failure = not within ${budget})\n`);
  console.log('| family | cases | median of medians | worst median | failed runs (cases) |\n|---|---|---|---|---|');
  for (const f of result.families) console.log(`| ${f.family} | ${f.rows.length} | ${f.medianOfMedians} | ${f.worstMedian} | ${f.failures} (${f.casesWithFailures}) |`);
  for (const f of result.families) {
    console.log(`\n${f.family}: models (CPU per item / I/O per item / fixed ms at 1 vCPU, batch exponent, parallel fraction, p99/p50, cold per invocation, MB per process, instances)\n`);
    for (const m of f.models) {
      const p = m.params;
      console.log(`- ${m.model}: ${p.perItemMs} / ${p.ioMsPerItem} / ${p.fixedMs} ms, ${p.batchExponent}, ${p.parallelFraction}, ${p.p99OverP50}, ${p.coldPerInvocation}, ${p.memoryPerProcessMb} MB, ${m.maxInstances}`);
    }
    console.log('\n| model | req/s | SLO ms | median evals | p90 evals | failures |\n|---|---|---|---|---|---|');
    for (const r of f.rows) console.log(`| ${r.model} | ${r.arrivalRatePerS} | ${r.sloMs} | ${r.medianEvals} | ${r.p90Evals} | ${r.failures} |`);
  }
}
