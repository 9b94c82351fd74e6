import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { fitLinearTrend } from '../core/linear-trend.js';
import { memoryNeedMb, type MemoryNeed } from '../core/memory-need.js';
import { functionOptionsFromEnv } from '../function/handler.js';
import { defaultModelName, getModel, modelNames, sampleFile } from '../function/models/registry.js';
import { modelInfo } from '../models/catalog.js';
import { LocalRuntime } from '../platform/local/runtime.js';
import { integerOption, numberList } from '../util/options.js';
import { machineLine } from './function-bench.js';

export interface MemoryBenchOptions {
  model: string;
  processes: number[];
  batches: number[];
  /** Invocations per cell; the cgroup's peak after the last is reported (ONNX Runtime's arena grows over the first few). */
  invocations: number;
  /** The function's memory size: large enough that nothing measured is killed. */
  memoryMb: number;
  cacheDir: string;
}

export interface MemoryRow {
  processes: number;
  batch: number;
  /** Max Memory Used after each invocation (the cgroup's peak so far). */
  maxMemoryUsedMb: number[];
  /** What the catalog's envelope predicts. */
  predictedMb: number;
}

export interface MemoryFit {
  /** Least squares over the cells: base + per process + per item. */
  fit: MemoryNeed;
  /** The fit with its base raised so that every cell lies on or under it. */
  envelope: MemoryNeed;
}

/**
 * `ferry bench memory`: Max Memory Used (the instance's cgroup peak, as Lambda's REPORT line
 * gives it) of real batches on the embedded runtime, over worker counts and batch sizes,
 * next to what the catalog's memory need (src/core/memory-need.ts) predicts, and the linear
 * envelope the cells themselves give. A fresh instance per cell, so that one cell's peak is
 * not the previous one's.
 */
export async function runMemoryBench(options: MemoryBenchOptions, log: (line: string) => void): Promise<{ rows: MemoryRow[] } & MemoryFit> {
  const spec = getModel(options.model);
  const need = modelInfo(options.model).memoryNeedMb;
  const images = await Promise.all(spec.samples.map(async (name) => (await readFile(sampleFile(name))).toString('base64')));
  const rows: MemoryRow[] = [];
  for (const processes of options.processes) {
    for (const batch of options.batches.filter((b) => b >= processes)) {
      log(`${options.model}: ${processes} worker(s), batch ${batch}`);
      const runtime = new LocalRuntime({
        functions: [{ name: 'memory', model: options.model, memoryMb: options.memoryMb, timeoutS: 120, handler: 'index.handler' }],
        cacheDir: options.cacheDir, concurrency: 1, keepAliveMs: 600_000,
      });
      try {
        const event = JSON.stringify({
          model: options.model, processes, threadsPerProcess: 1,
          inputs: Array.from({ length: batch }, (_, i) => ({ image: images[i % images.length] })),
        });
        const used: number[] = [];
        for (let i = 0; i < options.invocations; i++) {
          const result = await runtime.invoke('memory', event);
          if (result.functionError || result.payload.includes('"error"')) {
            throw new Error(`${processes} worker(s), batch ${batch} failed at ${options.memoryMb} MB: ${result.payload.slice(0, 200)}`);
          }
          used.push(result.billing.maxMemoryUsedMb);
        }
        rows.push({ processes, batch, maxMemoryUsedMb: used, predictedMb: Math.ceil(memoryNeedMb(need, processes, batch)) });
      } finally {
        await runtime.close();
      }
    }
  }
  return { rows, ...fitMemory(rows) };
}

/** Least squares of peak = base + p * processes + i * batch, and its envelope over the rows. */
export function fitMemory(rows: readonly MemoryRow[]): MemoryFit {
  if (rows.length < 3) throw new RangeError(`Expected at least 3 cells to fit 3 terms, got ${rows.length}`);
  const peak = (row: MemoryRow) => row.maxMemoryUsedMb[row.maxMemoryUsedMb.length - 1]!;
  // Workers and items must vary apart, or the split between their terms is arbitrary.
  const mean = (f: (r: MemoryRow) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  const cov = (f: (r: MemoryRow) => number, g: (r: MemoryRow) => number) => mean((r) => f(r) * g(r)) - mean(f) * mean(g);
  const det = cov((r) => r.processes, (r) => r.processes) * cov((r) => r.batch, (r) => r.batch) - cov((r) => r.processes, (r) => r.batch) ** 2;
  if (!(det > 1e-9)) throw new RangeError('Expected cells that vary both the worker count and the batch size');
  // The GP's trend fit (ridge on the slopes only), with a penalty too small to matter here.
  const trend = fitLinearTrend(rows.map((r) => [r.processes, r.batch]), rows.map(peak), 1e-9);
  const baseMb = trend([0, 0]);
  const fit = { baseMb, perProcessMb: trend([1, 0]) - baseMb, perItemMb: trend([0, 1]) - baseMb };
  const over = Math.max(...rows.map((r) => peak(r) - memoryNeedMb(fit, r.processes, r.batch)));
  return { fit, envelope: { ...fit, baseMb: baseMb + Math.max(0, over) } };
}

export function registerMemoryBench(bench: Command): void {
  bench
    .command('memory')
    .description('Max Memory Used of real batches on the embedded runtime, against the memory need the tuner and simulator assume')
    .option('--model <name>', `model (${modelNames().join(', ')})`, defaultModelName)
    .option('--processes <list>', 'worker processes per instance', numberList('--processes', 1, 6), [1, 2, 4])
    .option('--batches <list>', 'batch sizes', numberList('--batches', 1, 256), [1, 8, 16, 32, 64])
    .option('--invocations <n>', 'invocations per cell (the peak after the last is fitted)', integerOption('--invocations', 1, 100), 3)
    .option('--memory-mb <mb>', 'the function\'s memory size while measuring', integerOption('--memory-mb', 512, 10240), 3008)
    .option('--json', 'print rows and fits as JSON')
    .action(async (flags: { model: string; processes: number[]; batches: number[]; invocations: number; memoryMb: number; json?: boolean }) => {
      const need = modelInfo(flags.model).memoryNeedMb;
      const result = await runMemoryBench({ ...flags, cacheDir: functionOptionsFromEnv(process.env).cacheDir }, (line) => console.error(line));
      if (flags.json) {
        console.log(JSON.stringify({ machine: machineLine(), model: flags.model, catalog: need, ...result }, null, 2));
        return;
      }
      const terms = (n: MemoryNeed) => `${n.baseMb.toFixed(1)} + ${n.perProcessMb.toFixed(1)} per process + ${n.perItemMb.toFixed(2)} per item`;
      console.log(`\nferry bench memory: ${flags.model} at ${flags.memoryMb} MB, ${flags.invocations} invocations per cell (machine: ${machineLine()})\n`);
      console.log('| workers | batch | Max Memory Used, MB, by invocation | catalog predicts, MB | under it |');
      console.log('|---|---|---|---|---|');
      for (const r of result.rows) {
        const peak = r.maxMemoryUsedMb[r.maxMemoryUsedMb.length - 1]!;
        console.log(`| ${r.processes} | ${r.batch} | ${r.maxMemoryUsedMb.join(', ')} | ${r.predictedMb} | ${peak <= r.predictedMb ? 'yes' : 'NO'} |`);
      }
      console.log(`\ncatalog:   ${terms(need)} MB`);
      console.log(`fit:       ${terms(result.fit)} MB`);
      console.log(`envelope:  ${terms(result.envelope)} MB (the fit, raised to cover every cell)`);
    });
}
