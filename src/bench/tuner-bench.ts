import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { BayesOpt, type BayesOptOptions } from '../core/bayes-opt.js';
import { ConfigSpace, type ContextRange } from '../core/config-space.js';
import { Rng } from '../core/random.js';
import { quantile } from '../core/stats.js';
import { FerryError } from '../core/errors.js';
import { integerOption } from '../util/options.js';
import { parseOptimizerOptions } from './optimizer-options.js';
import { familyDefinitions, generateFamily, holdoutFamilies, parseFamilyNames } from './surface-families.js';
import { buildSurfaces, loadProfile, parseSurfaceFile, type Profile, type SurfaceCase, type SurfaceFile, type SurfacePoint } from './tuner-surfaces.js';

/**
 * Sample efficiency of the tuner on cost surfaces: evaluations until the optimizer first
 * evaluates a configuration that is truly feasible (true p99 <= SLO) and within 5% of the
 * cheapest truly feasible cost. Every observation carries 3% multiplicative log-normal noise
 * on cost, on p99 and on the mean dispatched batch (independently, seeded; the batch never
 * above the configured size). A run that gets there in no more than `budget` evaluations
 * succeeds; a failure counts as budget + 1 in the medians and p90s.
 */
export interface TunerBenchOptions {
  seeds: number;
  /** @default 40 */
  budget?: number;
  /** Log-normal sigma of the observation noise. @default 0.03 */
  noise?: number;
  /** Give the optimizer each point's meanBatchSize (when the surface has it). @default true */
  meanBatch?: boolean;
}

export interface SurfaceRow {
  model: string;
  arrivalRatePerS: number;
  sloMs: number;
  medianEvals: number;
  p90Evals: number;
  failures: number;
}

interface Truth {
  space: ConfigSpace;
  points: SurfacePoint[];
  target: Set<number>;
  bestCostUsd: number;
  sloMs: number;
}

export function caseTruth(c: SurfaceCase, space = ConfigSpace.fromConfigs(c.points)): Truth {
  const points = space.configs.map((config) => {
    const point = c.points.find((p) => p.memoryMb === config.memoryMb && p.batchSize === config.batchSize && p.processes === config.processes);
    if (!point) throw new RangeError(`Surface ${c.arrivalRatePerS} req/s, ${c.sloMs} ms lacks configuration ${config.memoryMb}/${config.batchSize}/${config.processes}`);
    return point;
  });
  const feasible = points.filter((p) => p.p99Ms <= c.sloMs);
  if (feasible.length === 0) throw new RangeError(`Surface ${c.arrivalRatePerS} req/s, ${c.sloMs} ms has no feasible configuration`);
  const bestCostUsd = Math.min(...feasible.map((p) => p.costUsd));
  const target = new Set(points.flatMap((p, i) => (p.p99Ms <= c.sloMs && p.costUsd <= bestCostUsd * 1.05 ? [i] : [])));
  return { space, points, target, bestCostUsd, sloMs: c.sloMs };
}

export interface TuneResult {
  /** Evaluation (1-based) that first hit the target, undefined if none did within the budget. */
  firstHit: number | undefined;
  /** Evaluations done when the stopping rule fired (or the budget ran out). */
  evaluations: number;
  /** The optimizer's final incumbent is in the target. */
  incumbentOk: boolean;
  /** Evaluations of configurations that truly break the SLO. */
  infeasibleEvaluations: number;
}

/** One tuning episode of `bo` against `truth`, until it stops or the budget runs out. */
export function tuneEpisode(bo: BayesOpt, truth: Truth, noise: Rng, options: { budget: number; sigma: number; arrivalRatePerS: number; batchNoise?: Rng }): TuneResult {
  const context = { arrivalRatePerS: options.arrivalRatePerS };
  let firstHit: number | undefined;
  let evaluations = 0;
  let infeasibleEvaluations = 0;
  while (evaluations < options.budget && !bo.done) {
    const config = bo.suggest(context);
    const index = truth.space.indexOf(config);
    const point = truth.points[index]!;
    evaluations++;
    if (point.p99Ms > truth.sloMs) infeasibleEvaluations++;
    if (firstHit === undefined && truth.target.has(index)) firstHit = evaluations;
    const observation = { costUsdPerRequest: point.costUsd * Math.exp(options.sigma * noise.normal()), p99Ms: point.p99Ms * Math.exp(options.sigma * noise.normal()) };
    const batch = options.batchNoise && point.meanBatchSize !== undefined ? Math.min(point.batchSize, point.meanBatchSize * Math.exp(options.sigma * options.batchNoise.normal())) : undefined;
    bo.observe(config, batch === undefined ? observation : { ...observation, meanBatchSize: batch }, context);
  }
  const best = bo.best();
  return { firstHit, evaluations, incumbentOk: best !== undefined && truth.target.has(truth.space.indexOf(best.config)), infeasibleEvaluations };
}

function summarize(hits: (number | undefined)[], budget: number): { medianEvals: number; p90Evals: number; failures: number } {
  const values = hits.map((h) => h ?? budget + 1);
  const round = (v: number) => Math.round(v * 10) / 10;
  return { medianEvals: round(quantile(values, 0.5)), p90Evals: round(quantile(values, 0.9)), failures: hits.filter((h) => h === undefined).length };
}

const noiseSeed = (seed: number) => seed * 7919 + 104_729;
/** The mean batch's noise draws from a generator of its own, so cost and p99 see the same noise with or without it. */
const batchNoise = (seed: number, options: TunerBenchOptions) => (options.meanBatch ?? true ? new Rng(noiseSeed(seed) + 2) : undefined);

function boRuns(c: SurfaceCase, truth: Truth, options: TunerBenchOptions, variant: Partial<BayesOptOptions> = {}): TuneResult[] {
  const runs: TuneResult[] = [];
  for (let seed = 1; seed <= options.seeds; seed++) {
    const bo = new BayesOpt({ ...variant, space: truth.space, sloMs: c.sloMs, seed });
    const batch = batchNoise(seed, options);
    runs.push(tuneEpisode(bo, truth, new Rng(noiseSeed(seed)), { budget: options.budget ?? 40, sigma: options.noise ?? 0.03, arrivalRatePerS: c.arrivalRatePerS, ...(batch ? { batchNoise: batch } : {}) }));
  }
  return runs;
}

/** The `--surface` contract: one row per case, BO only. */
export function runSurfaceBench(file: SurfaceFile, options: TunerBenchOptions, variant: Partial<BayesOptOptions> = {}): { rows: SurfaceRow[] } {
  const budget = options.budget ?? 40;
  const rows = file.cases.map((c) => {
    const runs = boRuns(c, caseTruth(c), options, variant);
    return { model: c.model, arrivalRatePerS: c.arrivalRatePerS, sloMs: c.sloMs, ...summarize(runs.map((r) => r.firstHit), budget) };
  });
  return { rows };
}

export interface BuiltinRow extends SurfaceRow {
  configurations: number;
  withinTarget: number;
  optimum: string;
  boStopMedian: number;
  boIncumbentOk: number;
  /** BO given only cost and p99 per evaluation (no mean batch): the issue's `--surface` contract. */
  costAndP99Only: { medianEvals: number; p90Evals: number; failures: number };
  random: { medianEvals: number; p90Evals: number; failures: number };
  gridFirstHit: number;
  powerTuning: { defaultListEvals: number; defaultListCostRatio: number; ferryGridEvals: number };
}

/** AWS Lambda Power Tuning's default powerValues (its SAR template). */
export const powerTuningDefaultMemoryMb = [128, 256, 512, 1024, 1536, 3008];

function builtinRow(c: SurfaceCase, space: ConfigSpace, options: TunerBenchOptions): BuiltinRow {
  const budget = options.budget ?? 40;
  const truth = caseTruth(c, space);
  const runs = boRuns(c, truth, options);
  const blind = boRuns(c, truth, { ...options, meanBatch: false });
  const randomHits = Array.from({ length: options.seeds }, (_, s) => {
    const order = new Rng(noiseSeed(s + 1) + 1).shuffle(truth.points.map((_, i) => i));
    const at = order.findIndex((i) => truth.target.has(i)) + 1;
    return at <= budget ? at : undefined;
  });
  const best = truth.points.find((p, i) => truth.target.has(i) && p.costUsd === truth.bestCostUsd)!;
  const atBest = (memoryMb: number) => truth.points.find((p) => p.memoryMb === memoryMb && p.batchSize === best.batchSize && p.processes === best.processes);
  const listed = powerTuningDefaultMemoryMb.map(atBest).filter((p): p is SurfacePoint => p !== undefined && p.p99Ms <= c.sloMs);
  const memories = new Set(truth.points.map((p) => p.memoryMb));
  return {
    model: c.model, arrivalRatePerS: c.arrivalRatePerS, sloMs: c.sloMs,
    ...summarize(runs.map((r) => r.firstHit), budget),
    configurations: truth.points.length,
    withinTarget: truth.target.size,
    optimum: `${best.memoryMb} MB, batch ${best.batchSize}, ${best.processes} proc`,
    boStopMedian: quantile(runs.map((r) => r.evaluations), 0.5),
    boIncumbentOk: runs.filter((r) => r.incumbentOk).length,
    costAndP99Only: summarize(blind.map((r) => r.firstHit), budget),
    random: summarize(randomHits, budget),
    gridFirstHit: [...truth.target].reduce((a, b) => Math.min(a, b), Infinity) + 1,
    powerTuning: {
      defaultListEvals: powerTuningDefaultMemoryMb.length,
      defaultListCostRatio: listed.length === 0 ? Infinity : Math.min(...listed.map((p) => p.costUsd)) / truth.bestCostUsd,
      ferryGridEvals: memories.size,
    },
  };
}

export interface WarmRow {
  sloMs: number;
  fromRatePerS: number;
  toRatePerS: number;
  cold: { medianEvals: number; p90Evals: number; failures: number };
  warm: { medianEvals: number; p90Evals: number; failures: number };
}

export const contextRange: ContextRange = { minRatePerS: 1, maxRatePerS: 200 };

/**
 * A change of arrival rate: episode 1 at `from` until the optimizer stops, then episode 2 at
 * `to`, warm (restart keeping history: the GPs, with the rate as an input, start from
 * episode 1's observations) vs cold (a fresh optimizer, which is what restart without
 * history amounts to, and saves re-running episode 1).
 */
function warmRow(byRate: Map<number, SurfaceCase>, space: ConfigSpace, from: number, to: number, options: TunerBenchOptions): WarmRow {
  const budget = options.budget ?? 40;
  const [a, b] = [byRate.get(from)!, byRate.get(to)!];
  const [first, second] = [caseTruth(a, space), caseTruth(b, space)];
  const hits = { cold: [] as (number | undefined)[], warm: [] as (number | undefined)[] };
  const run = { budget, sigma: options.noise ?? 0.03 };
  for (let seed = 1; seed <= options.seeds; seed++) {
    const cold = new BayesOpt({ space, sloMs: a.sloMs, seed, context: contextRange });
    const coldBatch = batchNoise(seed, options);
    hits.cold.push(tuneEpisode(cold, second, new Rng(noiseSeed(seed)), { ...run, arrivalRatePerS: to, ...(coldBatch ? { batchNoise: coldBatch } : {}) }).firstHit);
    const warm = new BayesOpt({ space, sloMs: a.sloMs, seed, context: contextRange });
    const noise = new Rng(noiseSeed(seed));
    const warmBatch = batchNoise(seed, options);
    tuneEpisode(warm, first, noise, { ...run, arrivalRatePerS: from, ...(warmBatch ? { batchNoise: warmBatch } : {}) });
    warm.restart({ keepHistory: true });
    hits.warm.push(tuneEpisode(warm, second, noise, { ...run, arrivalRatePerS: to, ...(warmBatch ? { batchNoise: warmBatch } : {}) }).firstHit);
  }
  return { sloMs: a.sloMs, fromRatePerS: from, toRatePerS: to, cold: summarize(hits.cold, budget), warm: summarize(hits.warm, budget) };
}

export const rateChanges: ReadonlyArray<[number, number]> = [[20, 50], [50, 20], [5, 100]];

export function runBuiltinBench(options: TunerBenchOptions, log: (line: string) => void = () => undefined, profile: Profile = loadProfile()): { rows: BuiltinRow[]; warmStart: WarmRow[] } {
  const space = new ConfigSpace();
  const file = buildSurfaces(profile, space);
  const rows = file.cases.map((c) => {
    log(`tuner bench: ${c.arrivalRatePerS} req/s, SLO ${c.sloMs} ms`);
    return builtinRow(c, space, options);
  });
  const warmStart: WarmRow[] = [];
  for (const slo of [...new Set(file.cases.map((c) => c.sloMs))]) {
    const byRate = new Map(file.cases.filter((c) => c.sloMs === slo).map((c) => [c.arrivalRatePerS, c]));
    for (const [from, to] of rateChanges) {
      log(`tuner bench: warm start ${from} -> ${to} req/s, SLO ${slo} ms`);
      if (byRate.has(from) && byRate.has(to)) warmStart.push(warmRow(byRate, space, from, to, options));
    }
  }
  return { rows, warmStart };
}

export interface AblationRow {
  variant: string;
  /** Median evaluations per case, in the order of the built-in cases. */
  medians: number[];
  meanOfMedians: number;
  casesWithinTen: number;
}

/** The optimizer with one part taken out at a time, on the built-in surfaces: what each part buys. */
export const ablationVariants: ReadonlyArray<{ variant: string; bo: Partial<BayesOptOptions>; meanBatch: boolean }> = [
  { variant: 'as shipped', bo: {}, meanBatch: true },
  { variant: 'without the mean batch (cost and p99 only)', bo: {}, meanBatch: false },
  { variant: 'without the cost GP\'s linear trend (constant prior mean)', bo: { linearTrend: false }, meanBatch: true },
  { variant: 'without the feasibility GP\'s linear trend', bo: { feasibilityTrend: false }, meanBatch: true },
  { variant: '4 initial design points instead of 3', bo: { initialPoints: 4 }, meanBatch: true },
];

export function runAblation(options: TunerBenchOptions, log: (line: string) => void = () => undefined, profile: Profile = loadProfile()): { rows: AblationRow[] } {
  const space = new ConfigSpace();
  const cases = buildSurfaces(profile, space).cases;
  const budget = options.budget ?? 40;
  const rows = ablationVariants.map(({ variant, bo, meanBatch }) => {
    log(`tuner bench: ablation, ${variant}`);
    const medians = cases.map((c) => summarize(boRuns(c, caseTruth(c, space), { ...options, meanBatch }, bo).map((r) => r.firstHit), budget).medianEvals);
    const meanOfMedians = Math.round((medians.reduce((a, b) => a + b, 0) / medians.length) * 10) / 10;
    return { variant, medians, meanOfMedians, casesWithinTen: medians.filter((m) => m <= 10).length };
  });
  return { rows };
}

const evals = (value: number, budget: number) => (value > budget ? `>${budget}` : String(value));

function printBuiltin(result: { rows: BuiltinRow[]; warmStart: WarmRow[] }, options: TunerBenchOptions, seconds: number): void {
  const budget = options.budget ?? 40;
  const e = (v: number) => evals(v, budget);
  console.log(`\nferry bench tuner: evaluations until a truly feasible configuration within 5% of the optimum is evaluated`);
  console.log(`(median / p90 over ${options.seeds} seeds, 3% log-normal noise on every observation, failure = not within ${budget}; ${seconds.toFixed(1)} s)\n`);
  console.log('BO and random: median / p90 evaluations, and failures; BO observes cost, p99 and the mean dispatched batch of each window, "BO, cost + p99"');
  console.log('observes cost and p99 only (the --surface contract without meanBatchSize). BO stops: median evaluations when its stopping rule fired, and in how many runs its final');
  console.log('incumbent was within 5%. Grid: position of the first hit walking memory, batch, processes in ascending order / evaluations to KNOW the optimum');
  console.log('(all). Power Tuning: memory only, batch and processes fixed at the optimum\'s; its list\'s best vs the optimum.\n');
  console.log('| req/s | SLO ms | configs (within 5%) | optimum | BO | BO fails | BO, cost + p99 | BO stops (incumbent ok) | random | random fails | grid: first hit / to know | Power Tuning |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of result.rows) {
    const pt = r.powerTuning;
    const ratio = Number.isFinite(pt.defaultListCostRatio) ? `${pt.defaultListCostRatio.toFixed(2)}x optimum` : 'none feasible';
    console.log(
      `| ${r.arrivalRatePerS} | ${r.sloMs} | ${r.configurations} (${r.withinTarget}) | ${r.optimum} | ${e(r.medianEvals)} / ${e(r.p90Evals)} | ${r.failures} | ` +
        `${e(r.costAndP99Only.medianEvals)} / ${e(r.costAndP99Only.p90Evals)} | ` +
        `${r.boStopMedian} (${r.boIncumbentOk}/${options.seeds}) | ${e(r.random.medianEvals)} / ${e(r.random.p90Evals)} | ${r.random.failures} | ` +
        `${r.gridFirstHit} / ${r.configurations} | default list (${powerTuningDefaultMemoryMb.join(', ')}): ${pt.defaultListEvals} evals, ${ratio}; ferry's memory grid: ${pt.ferryGridEvals} evals |`,
    );
  }
  console.log(`\nWarm start vs cold restart after a change of arrival rate (the rate as a GP input, ${contextRange.minRatePerS}..${contextRange.maxRatePerS} req/s, log scale); evaluations in the new episode\n`);
  console.log('| SLO ms | rate change | cold restart: median / p90 | cold fails | warm start: median / p90 | warm fails |');
  console.log('|---|---|---|---|---|---|');
  for (const w of result.warmStart) {
    console.log(`| ${w.sloMs} | ${w.fromRatePerS} -> ${w.toRatePerS} | ${e(w.cold.medianEvals)} / ${e(w.cold.p90Evals)} | ${w.cold.failures} | ${e(w.warm.medianEvals)} / ${e(w.warm.p90Evals)} | ${w.warm.failures} |`);
  }
}

interface TunerFlags {
  surface?: string;
  families?: string;
  ablation?: boolean;
  profile?: string;
  writeSurface?: string;
  seeds: number;
  optimizer?: Partial<BayesOptOptions>;
  json?: boolean;
}

export function registerTunerBench(bench: Command): void {
  bench
    .command('tuner')
    .description('sample efficiency of the Bayesian tuner vs random search, grid and Power Tuning on cost surfaces')
    .option('--surface <file>', 'surfaces JSON { cases: [ { model, arrivalRatePerS, sloMs, points: [ { memoryMb, batchSize, processes, costUsd, p99Ms, meanBatchSize? } ] } ] } (meanBatchSize, optional: mean requests per dispatched batch)')
    .option('--seeds <n>', 'seeds per case', integerOption('--seeds', 1, 1000), 20)
    .option('--families <names>', `generated surface families, comma-separated, or dev (all but the holdouts ${holdoutFamilies.join(', ')}): ${familyDefinitions.map((f) => f.name).join(', ')}`)
    .option('--profile <file>', 'the profile (ferry profile --json) the built-in surfaces are modelled from', 'profiles/mobilenetv2.json')
    .option('--write-surface <file>', 'write the built-in surfaces (from --profile, or the --families) in the --surface format and exit')
    .option('--ablation', 'on the built-in surfaces (from --profile): the optimizer with one part taken out at a time')
    .option('--optimizer <json>', 'the optimizer\'s settings, as a JSON object (e.g. \'{"feasibilityTrend":false}\'), to measure it without a part; with --families or --surface', parseOptimizerOptions)
    .option('--json', 'print JSON')
    .action(async (flags: TunerFlags) => {
      const families = flags.families === undefined ? undefined : parseFamilyNames(flags.families);
      if (flags.writeSurface) {
        const file = families ? { cases: families.flatMap((name) => generateFamily(name).file.cases) } : buildSurfaces(profileFrom(flags.profile), new ConfigSpace());
        writeFileSync(flags.writeSurface, `${JSON.stringify(file, null, 2)}\n`);
        console.error(`ferry bench tuner: wrote the ${families ? `${families.join(', ')} families'` : 'built-in'} surfaces to ${flags.writeSurface}`);
        return;
      }
      const options = { seeds: flags.seeds };
      const started = performance.now();
      if (families) {
        // Loaded here: family-bench.ts runs its surfaces through this file's runSurfaceBench.
        const { printFamilyBench, runFamilyBench } = await import('./family-bench.js');
        const result = runFamilyBench(families, options, flags.optimizer ?? {}, (line) => console.error(line));
        if (flags.json) return console.log(JSON.stringify(result, null, 2));
        return printFamilyBench(result, options);
      }
      if (flags.surface) {
        const result = runSurfaceBench(parseSurfaceFile(readFileSync(flags.surface, 'utf8')), options, flags.optimizer ?? {});
        if (flags.json) return console.log(JSON.stringify(result, null, 2));
        console.log('| model | req/s | SLO ms | median evals | p90 evals | failures |\n|---|---|---|---|---|---|');
        for (const r of result.rows) console.log(`| ${r.model} | ${r.arrivalRatePerS} | ${r.sloMs} | ${r.medianEvals} | ${r.p90Evals} | ${r.failures} |`);
        return;
      }
      if (flags.optimizer) throw new FerryError('INVALID_ARGUMENT', 'Expected --optimizer with --families or --surface (the built-in surfaces and --ablation run the optimizer as shipped)');
      const profile = profileFrom(flags.profile);
      console.error(`ferry bench tuner: surfaces modelled from the ${profile.model} profile (${flags.profile ?? 'profiles/mobilenetv2.json'})`);
      if (flags.ablation) {
        const ablation = runAblation(options, (line) => console.error(line), profile);
        if (flags.json) return console.log(JSON.stringify(ablation, null, 2));
        const cases = buildSurfaces(profile, new ConfigSpace()).cases.map((c) => `${c.arrivalRatePerS}/${c.sloMs}`);
        console.log(`\nferry bench tuner --ablation (${profile.model}, ${options.seeds} seeds): median evaluations to within 5% per case (req/s / SLO ms)\n`);
        console.log(`| variant | mean of medians | cases <= 10 | ${cases.join(' | ')} |\n|---|---|---|${cases.map(() => '---').join('|')}|`);
        for (const r of ablation.rows) console.log(`| ${r.variant} | ${r.meanOfMedians} | ${r.casesWithinTen}/${r.medians.length} | ${r.medians.map((m) => evals(m, 40)).join(' | ')} |`);
        return;
      }
      const result = runBuiltinBench(options, (line) => console.error(line), profile);
      if (flags.json) return console.log(JSON.stringify(result, null, 2));
      printBuiltin(result, options, (performance.now() - started) / 1000);
    });
}

/** The profile named on the command line (relative to the working directory), or the shipped MobileNetV2 one. */
function profileFrom(file: string | undefined): Profile {
  if (!file || file === 'profiles/mobilenetv2.json') return loadProfile();
  try {
    return loadProfile(path.resolve(file));
  } catch (error) {
    throw new FerryError('INVALID_ARGUMENT', `Expected --profile to be a profile JSON (ferry profile --json), could not read ${file}: ${(error as Error).message}`);
  }
}
