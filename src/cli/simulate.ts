import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { FerryError } from '../core/errors.js';
import { checkMemoryMb } from '../core/pricing.js';
import { defaultModelName, modelNames } from '../models/catalog.js';
import { defaultModelConfig } from '../serving/model-config.js';
import { defaultTuneHorizonS } from '../serving/online-tuner.js';
import { policyEntry, policyNames } from '../sim/policies/index.js';
import { runPolicy, type PolicyRow } from '../sim/run-policies.js';
import { buildSetup } from '../sim/setup.js';
import type { PolicyResult } from '../sim/simulate.js';
import { integerOption, numberOption } from '../util/options.js';
import { progressBar } from './progress.js';

interface SimulateFlags {
  trace: string;
  model: string;
  sloMs: number;
  policies: string[];
  seed: number;
  timeScale: number;
  startS?: number;
  durationS?: number;
  profile?: string;
  json?: string;
  plot?: string;
  hostCores?: number;
  concurrency?: number;
  keepAliveMs: number;
  memoryMb: number;
  batchSize: number;
  processes: number;
  threads: number;
  oracleSegmentS: number;
  baselineMemoryMb: number;
  tuneHorizonS?: number;
  tuneSlice?: number;
}

/** The `ferry simulate --json` contract. */
export interface SimulateOutput {
  trace: string;
  model: string;
  sloMs: number;
  seed: number;
  policies: PolicyRow[];
}

export const defaultSimulateSeed = 1;

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description("replay a trace through ferry's own serving and tuning code on a virtual clock, for each policy, and compare their cost and latency")
    .requiredOption('--trace <file|gen:spec>', 'arrival trace: a CSV (timestamp or count column) or a generator spec such as gen:mmpp?rate-per-s=20&burst-rate-per-s=200&duration-s=3600&seed=1')
    .option('--model <name>', `model whose profile sets service times (${modelNames().join(', ')})`, defaultModelName)
    .option('--slo-ms <ms>', 'latency objective per request', integerOption('--slo-ms', 1, 600_000), defaultModelConfig.sloMs)
    .option('--policies <list>', `comma-separated, of: ${policyNames.join(', ')}`, parsePolicies, ['per-request', 'power-tuned', 'batch', 'aimd', 'joint-bo', 'oracle'])
    .option('--seed <n>', 'seed of every random draw (same seed, same JSON apart from wallS)', integerOption('--seed', 0, 2 ** 31), defaultSimulateSeed)
    .option('--time-scale <k>', 'replay k times faster than the trace', numberOption('--time-scale', 0, 1e6, true), 1)
    .option('--start-s <s>', "skip the trace's first seconds", numberOption('--start-s', 0, 1e9))
    .option('--duration-s <s>', 'simulate this many seconds of (scaled) trace', numberOption('--duration-s', 0, 1e9, true))
    .option('--profile <file>', "a `ferry profile --json` file (default: the model's profile in profiles/)")
    .option('--json <file>', 'write the results as JSON')
    .option('--plot <file>', 'draw arrivals, cumulative cost, p99 and the configuration over time per policy (.svg or .png)')
    .option('--host-cores <n>', "instances share this many cores (to compare with the embedded runtime on this machine); default: independent instances, as on Lambda", numberOption('--host-cores', 0, 1024, true))
    .option('--concurrency <n>', 'invocations in flight at once, gateway and platform (default 1000, Lambda\'s account limit)', integerOption('--concurrency', 1, 100_000))
    .option('--keep-alive-ms <ms>', 'idle instance keep-alive', integerOption('--keep-alive-ms', 0, 86_400_000), 300_000)
    .option('--memory-mb <mb>', 'static policy: function memory', integerOption('--memory-mb', 128, 10_240), defaultModelConfig.memoryMb)
    .option('--batch-size <n>', 'static policy: requests per invocation, at most', integerOption('--batch-size', 1, 64), defaultModelConfig.batchSize)
    .option('--processes <n>', 'static policy: worker processes per instance', integerOption('--processes', 1, 6), defaultModelConfig.processes)
    .option('--threads <n>', 'static policy: ONNX Runtime threads per process', integerOption('--threads', 1, 6), defaultModelConfig.threadsPerProcess)
    .option('--baseline-memory-mb <mb>', 'per-request and aimd: function memory', integerOption('--baseline-memory-mb', 128, 10_240), 3008)
    .option('--tune-horizon-s <s>', 'joint-bo: seconds a trial\'s saving is counted over, as `ferry serve --tune-horizon-s` (0: exploration not priced)', numberOption('--tune-horizon-s', 0, 1e7), defaultTuneHorizonS)
    .option('--tune-slice <share>', 'joint-bo: trials on this share of the traffic, as `ferry serve --tune-slice` (0: off)', numberOption('--tune-slice', 0, 0.5), 0)
    .option('--oracle-segment-s <s>', 'oracle: length of the segments it re-chooses for', numberOption('--oracle-segment-s', 0, 1e7, true), 300)
    .action(async (flags: SimulateFlags) => {
      const output = await runSimulate(flags, (line) => console.log(line));
      if (flags.json) await writeFile(flags.json, `${JSON.stringify(output, null, 2)}\n`);
    });
}

export async function runSimulate(flags: SimulateFlags, print: (line: string) => void): Promise<SimulateOutput> {
  for (const mb of [flags.memoryMb, flags.baselineMemoryMb]) {
    const error = checkMemoryMb(mb);
    if (error) throw new FerryError('INVALID_ARGUMENT', error);
  }
  const { setup, traceLabel } = buildSetup({
    trace: flags.trace, model: flags.model, sloMs: flags.sloMs, seed: flags.seed, timeScale: flags.timeScale,
    ...(flags.startS !== undefined ? { startS: flags.startS } : {}),
    ...(flags.durationS !== undefined ? { durationS: flags.durationS } : {}),
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(flags.hostCores !== undefined ? { hostCores: flags.hostCores } : {}),
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    keepAliveMs: flags.keepAliveMs,
  });
  if (setup.scheduleMs.length === 0) throw new FerryError('INVALID_ARGUMENT', `Expected ${traceLabel} to hold arrivals in the window asked for, got none`);
  const spanS = setup.scheduleMs[setup.scheduleMs.length - 1]! / 1000;
  print(`ferry simulate: ${traceLabel}${flags.timeScale !== 1 ? ` at ${flags.timeScale}x` : ''}: ${setup.scheduleMs.length} requests over ${spanS.toFixed(0)} s ` +
    `(${(setup.scheduleMs.length / Math.max(1, spanS)).toFixed(1)} req/s), ${flags.model}, SLO ${flags.sloMs} ms, seed ${flags.seed}, ` +
    (flags.hostCores !== undefined ? `${flags.hostCores} shared host cores` : 'independent instances (Lambda)') + `, concurrency ${setup.maxInFlight}`);
  const options = {
    static: { memoryMb: flags.memoryMb, batchSize: flags.batchSize, processes: flags.processes, threadsPerProcess: flags.threads },
    baselineMemoryMb: flags.baselineMemoryMb, oracleSegmentS: flags.oracleSegmentS,
    ...(flags.tuneHorizonS !== undefined ? { tuneHorizonS: flags.tuneHorizonS } : {}),
    ...(flags.tuneSlice ? { tuneSlice: flags.tuneSlice } : {}),
  };
  const bar = progressBar('ferry simulate');
  const rows: PolicyRow[] = [];
  const results: PolicyResult[] = [];
  flags.policies.forEach((name, i) => {
    const { row, result } = runPolicy(name, setup, options, (variant) => bar.update(i, flags.policies.length, variant));
    rows.push(row);
    results.push(result);
  });
  bar.update(flags.policies.length, flags.policies.length, 'done');
  bar.stop();
  for (const line of formatTable(rows)) print(line);
  if (flags.plot) {
    // vega and sharp load only when a plot is asked for (they are most of the start-up time).
    const { timelineSpec, writePlot } = await import('../sim/plot.js');
    await writePlot(flags.plot, timelineSpec(results.map((r) => ({ policy: r.name, windows: r.windows })), {
      title: `${flags.model} on ${traceLabel}${flags.timeScale !== 1 ? ` at ${flags.timeScale}x` : ''}, SLO ${flags.sloMs} ms`, sloMs: flags.sloMs,
    }));
    print(`plot: ${flags.plot}`);
  }
  return { trace: traceLabel, model: flags.model, sloMs: flags.sloMs, seed: flags.seed, policies: rows };
}

export function formatTable(rows: readonly PolicyRow[]): string[] {
  const baseline = rows.find((r) => r.name === 'per-request');
  const header = ['policy', '$/M req', 'vs per-request', 'SLO met', 'p50 ms', 'p99 ms', 'invocations', 'cold', 'changes', 'lost', 'wall s'];
  const body = rows.map((r) => [
    r.name, r.costPerMillionUsd.toFixed(2),
    baseline && r !== baseline ? `${((1 - r.costPerMillionUsd / baseline.costPerMillionUsd) * 100).toFixed(0)}% cheaper` : '',
    `${(r.sloAttainment * 100).toFixed(2)}%`, r.p50Ms.toFixed(0), Number.isFinite(r.p99Ms) ? r.p99Ms.toFixed(0) : 'inf',
    String(r.invocations), String(r.coldStarts), String(r.configChanges), String(r.requests - r.answered), r.wallS.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = ['', line(header), ...body.map(line), ''];
  for (const r of rows) lines.push(`  ${r.name}: ${r.detail}`);
  return lines;
}

function parsePolicies(text: string): string[] {
  const names = text.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  const unknown = names.filter((n) => !policyEntry(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new FerryError('INVALID_ARGUMENT', `Expected --policies to list some of ${policyNames.join(', ')}, got "${text}"`);
  }
  return [...new Set(names)];
}
