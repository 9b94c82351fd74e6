import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { runCrossovers, type CrossoverRow, type LadderOptions } from '../bench/cost-ladder.js';
import { pricesUsed, type CostCell, type CostMatrixOptions } from '../bench/cost-matrix.js';
import { runCostMatrices } from '../bench/cost-parallel.js';
import { summarizeCost, tallyTargets, type CellSummary, type SeededCells, type TargetTally } from '../bench/cost-summary.js';
import { formatCostSummary, formatTargetTally } from '../bench/cost-summary-table.js';
import { costNotes, formatCostCell, formatCrossovers } from '../bench/cost-table.js';
import { defaultCostTraceNames, parseCostTraces, type CostTrace } from '../bench/cost-traces.js';
import { machineLine } from '../bench/function-bench.js';
import { FerryError } from '../core/errors.js';
import { ec2Pricing } from '../core/pricing.js';
import { modelNames } from '../models/catalog.js';
import { policyEntry, policyNames } from '../sim/policies/index.js';
import { integerOption, numberList, numberOption } from '../util/options.js';
import { progressBar } from './progress.js';

interface CostFlags {
  models: string[];
  traces: string[];
  slos: number[];
  policies: string[];
  seed: number;
  /** Several seeds: the matrix once per seed, judged on each cell's median. */
  seeds?: number[];
  jobs: number;
  json?: string;
  gatewayHostUsdPerH: number;
  vmUsdPerH: number;
  vmVcpus: number;
  lmiMinInstances: number;
  minSpanS: number;
  ladder: boolean;
  ladderRates: number[];
  ladderDurationS: number;
  baselineMemoryMb: number;
  oracleSegmentS: number;
  tuneSlice?: number;
}

/** The `ferry bench cost --json` contract. */
export interface CostOutput {
  machine: string;
  seeds: number[];
  prices: ReturnType<typeof pricesUsed>;
  traces: CostTrace[];
  /** Every cell of every seed, as run. */
  runs: SeededCells[];
  /** Per cell, each policy's median over the seeds, and issue 11's targets counted on those. */
  summary: { cells: CellSummary[]; tally: TargetTally };
  crossovers?: { ratesPerS: number[]; durationS: number; rows: CrossoverRow[] };
  notes: string[];
  wallS: number;
}

const defaultPolicies = ['per-request', 'power-tuned', 'batch', 'aimd', 'joint-bo', 'oracle'];

export function registerCostBench(bench: Command): void {
  bench
    .command('cost')
    .description('every policy side by side on every model, trace and SLO of issue 11: $/M requests, savings, SLO attainment (also inside tuning episodes), the gateway host\'s price, and modelled always-on references')
    .option('--models <list>', `comma-separated, of: ${modelNames().join(', ')}`, parseModels, ['mobilenetv2', 'ocr-cls'])
    .option('--traces <entries...>', 'conv@1, conv@20, code@1, code@20 (shipped traces at a time scale), step, mmpp, diurnal (generated, 1 h), holdout (traces kept aside: conv@5, code@5, step-b, mmpp-b, diurnal-b), FILE@K or a gen: spec; comma-separated or space-separated', [...defaultCostTraceNames])
    .option('--slos <list>', 'latency objectives (ms)', numberList('--slos', 1, 600_000), [200, 500])
    .option('--policies <list>', `comma-separated, of: ${policyNames.join(', ')}`, parsePolicies, defaultPolicies)
    .option('--seed <n>', 'seed of every simulation and of the generated traces\' replay', integerOption('--seed', 0, 2 ** 31), 1)
    .option('--seeds <list>', 'run the matrix once per seed (e.g. 1,2,3,4,5) and judge each cell on its median; the crossover ladder runs the first', numberList('--seeds', 0, 2 ** 31))
    .option('--jobs <n>', 'cells simulated at once, each on a worker thread (the figures do not depend on it)', integerOption('--jobs', 1, 256), availableParallelism())
    .option('--json <file>', 'write everything as JSON')
    .option('--gateway-host-usd-per-h <usd>', `the always-on gateway host's price (default ${ec2Pricing.gatewayHost.name})`, numberOption('--gateway-host-usd-per-h', 0, 1000), ec2Pricing.gatewayHost.usdPerH)
    .option('--vm-usd-per-h <usd>', `modelled always-on VM and Lambda Managed Instances: the instance's on-demand price (default ${ec2Pricing.vm.name})`, numberOption('--vm-usd-per-h', 0, 1000, true), ec2Pricing.vm.usdPerH)
    .option('--vm-vcpus <n>', 'vCPUs of that instance', integerOption('--vm-vcpus', 1, 512), ec2Pricing.vm.vcpus)
    .option('--lmi-min-instances <n>', 'Lambda Managed Instances: the fleet\'s floor (3 by default, for AZ resiliency)', integerOption('--lmi-min-instances', 1, 1000), 3)
    .option('--min-span-s <s>', 'a trace sped up past 1x and shorter than this is repeated end to end', numberOption('--min-span-s', 0, 86_400 * 7, true), 3600)
    .option('--no-ladder', 'skip the steady-rate ladder (the crossover table)')
    .option('--ladder-rates <list>', 'steady Poisson rates of the crossover ladder (req/s)', numberList('--ladder-rates', 0.01, 10_000, false), [1, 2, 5, 10, 20, 50, 100, 200, 500])
    .option('--ladder-duration-s <s>', 'length of each ladder run', numberOption('--ladder-duration-s', 0, 86_400, true), 1800)
    .option('--baseline-memory-mb <mb>', 'per-request and aimd: function memory', integerOption('--baseline-memory-mb', 128, 10_240), 3008)
    .option('--oracle-segment-s <s>', 'oracle: length of the segments it re-chooses for', numberOption('--oracle-segment-s', 0, 1e7, true), 300)
    .option('--tune-slice <share>', 'joint-bo: trials on this share of the traffic, as `ferry serve --tune-slice` (0: off)', numberOption('--tune-slice', 0, 0.5), 0)
    .action(async (flags: CostFlags) => {
      const output = await runCostBench(flags, (line) => console.log(line));
      if (flags.json) await writeFile(flags.json, `${JSON.stringify(output, null, 2)}\n`);
    });
  bench
    .command('cost-summary')
    .description('the per-cell medians over seeds and issue 11\'s targets from saved `ferry bench cost --json` files (rows of one seed may come from several files: the peers from one run, joint-bo from another)')
    .argument('<files...>', '`ferry bench cost --json` outputs')
    .option('--json <file>', 'write the summary as JSON')
    .action(async (files: string[], flags: { json?: string }) => {
      const summary = await summarizeCostFiles(files, (line) => console.log(line));
      if (flags.json) await writeFile(flags.json, `${JSON.stringify(summary, null, 2)}\n`);
    });
}

export async function runCostBench(flags: CostFlags, print: (line: string) => void): Promise<CostOutput> {
  const startMs = performance.now();
  const traces = parseCostTraces(flags.traces);
  const seeds = [...new Set(flags.seeds ?? [flags.seed])];
  const vm = { name: flags.vmUsdPerH === ec2Pricing.vm.usdPerH && flags.vmVcpus === ec2Pricing.vm.vcpus ? ec2Pricing.vm.name : 'VM', usdPerH: flags.vmUsdPerH, vcpus: flags.vmVcpus };
  const hostName = flags.gatewayHostUsdPerH === ec2Pricing.gatewayHost.usdPerH ? ec2Pricing.gatewayHost.name : 'gateway host';
  const options: CostMatrixOptions = {
    models: flags.models, traces, slosMs: flags.slos, policies: flags.policies, seed: seeds[0]!,
    gatewayHostUsdPerH: flags.gatewayHostUsdPerH, vm, lmiMinInstances: flags.lmiMinInstances, minSpanS: flags.minSpanS,
    baselineMemoryMb: flags.baselineMemoryMb, oracleSegmentS: flags.oracleSegmentS,
    ...(flags.tuneSlice ? { tuneSlice: flags.tuneSlice } : {}),
  };
  const log = (line: string) => process.stderr.write(`${line}\n`);
  print(`ferry bench cost: ${flags.models.join(', ')} x ${traces.map((t) => t.name).join(', ')} x SLO ${flags.slos.join(', ')} ms; policies ${flags.policies.join(', ')}; seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}` +
    (flags.tuneSlice ? `; joint-bo's trials on ${flags.tuneSlice} of the traffic (--tune-slice)` : ''));
  print(`machine: ${machineLine()} (the figures are seeded and the same on any machine; only wall times differ)`);
  print(`prices: Lambda x86 us-east-1; gateway host ${hostName} $${flags.gatewayHostUsdPerH}/h; VM ${vm.name} $${vm.usdPerH}/h with ${vm.vcpus} vCPUs (${ec2Pricing.source}); ` +
    `Lambda Managed Instances on it at +15% and $0.20/M, floor ${flags.lmiMinInstances} instances`);
  print('');
  const bar = progressBar('ferry bench cost');
  let runs: CostOutput['runs'];
  try {
    runs = await runCostMatrices(options, seeds, flags.jobs, (done, total, label) => bar.update(done, total, label), process.stderr.isTTY ? () => undefined : log);
  } finally {
    bar.stop();
  }
  // One seed: every cell's full table. Several: the medians below (the JSON has every run).
  if (runs.length === 1) for (const cell of runs[0]!.cells) for (const line of formatCostCell(cell)) print(line);
  const summary = summarize(runs);
  for (const line of [...formatCostSummary(summary.cells), ...formatTargetTally(summary.tally, seeds)]) print(line);
  let crossovers: CostOutput['crossovers'];
  if (flags.ladder) {
    const ladder: LadderOptions = {
      models: flags.models, slosMs: flags.slos, ratesPerS: flags.ladderRates, durationS: flags.ladderDurationS, seed: seeds[0]!,
      gatewayHostUsdPerH: flags.gatewayHostUsdPerH, vm, lmiMinInstances: flags.lmiMinInstances,
      baselineMemoryMb: flags.baselineMemoryMb, oracleSegmentS: flags.oracleSegmentS,
    };
    const ladderBar = progressBar('crossover ladder');
    let rows: CrossoverRow[];
    try {
      rows = runCrossovers(ladder, (done, total, label) => {
        ladderBar.update(done, total, label);
        if (!process.stderr.isTTY && done < total) log(label);
      });
    } finally {
      ladderBar.stop();
    }
    for (const line of formatCrossovers(rows, `${flags.ladderDurationS} s at each of ${flags.ladderRates.join(', ')} req/s, seed ${seeds[0]}`)) print(line);
    crossovers = { ratesPerS: flags.ladderRates, durationS: flags.ladderDurationS, rows };
  }
  const notes = costNotes(`${hostName}, $${flags.gatewayHostUsdPerH}/h`);
  for (const line of notes) print(line);
  const wallS = (performance.now() - startMs) / 1000;
  print('');
  print(`wall time: ${wallS.toFixed(0)} s`);
  return { machine: machineLine(), seeds, prices: pricesUsed(options), traces, runs, summary, ...(crossovers ? { crossovers } : {}), notes, wallS };
}

function summarize(runs: readonly SeededCells[]): CostOutput['summary'] {
  const cells = summarizeCost(runs);
  return { cells, tally: tallyTargets(cells) };
}

/**
 * `ferry bench cost-summary FILE...`: the medians and targets of saved `--json` outputs,
 * without running anything. Files may split a matrix by policy (the peers run once per
 * seed, joint-bo again after each change) or by seed; an output of an earlier revision
 * (one `seed` and its `cells`) is read too.
 */
export async function summarizeCostFiles(files: readonly string[], print: (line: string) => void): Promise<CostOutput['summary']> {
  const runs: SeededCells[] = [];
  for (const file of files) runs.push(...seededCellsOf(parseJson(await readFile(file, 'utf8'), file), file));
  const summary = summarize(runs);
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  for (const line of [...formatCostSummary(summary.cells), ...formatTargetTally(summary.tally, seeds)]) print(line);
  return summary;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new FerryError('INVALID_ARGUMENT', `Expected ${file} to hold JSON, got: ${(error as Error).message}`);
  }
}

function seededCellsOf(json: unknown, file: string): SeededCells[] {
  const o = json as Partial<CostOutput> & { seed?: number; cells?: CostCell[] };
  if (Array.isArray(o?.runs)) return o.runs;
  if (typeof o?.seed === 'number' && Array.isArray(o.cells)) return [{ seed: o.seed, cells: o.cells }];
  throw new FerryError('INVALID_ARGUMENT', `Expected ${file} to be a \`ferry bench cost --json\` output (with "runs", or "seed" and "cells"), got neither`);
}

function parseModels(text: string): string[] {
  const names = text.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  const unknown = names.filter((n) => !modelNames().includes(n));
  if (names.length === 0 || unknown.length > 0) throw new FerryError('INVALID_ARGUMENT', `Expected --models to list some of ${modelNames().join(', ')}, got "${text}"`);
  return [...new Set(names)];
}

function parsePolicies(text: string): string[] {
  const names = text.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  const unknown = names.filter((n) => !policyEntry(n));
  if (names.length === 0 || unknown.length > 0) throw new FerryError('INVALID_ARGUMENT', `Expected --policies to list some of ${policyNames.join(', ')}, got "${text}"`);
  return [...new Set(names)];
}
