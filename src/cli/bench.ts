import type { Command } from 'commander';
import { machineLine, runFunctionBench, type FunctionBenchRow } from '../bench/function-bench.js';
import { registerClockBench } from '../bench/clock-bench.js';
import { registerDetectBench } from '../bench/detect-bench.js';
import { registerMemoryBench } from '../bench/memory-bench.js';
import { runRuntimeBench, type LatencyRow } from '../bench/runtime-bench.js';
import { registerSimBench } from '../bench/sim-bench.js';
import { registerTunerBench } from '../bench/tuner-bench.js';
import { functionOptionsFromEnv } from '../function/handler.js';
import { defaultModelName } from '../function/models/registry.js';
import type { WorkerMode } from '../function/worker-handle.js';
import { FerryError } from '../core/errors.js';
import { integerOption, numberList } from '../util/options.js';
import { registerCostBench } from './bench-cost.js';
import { registerFidelityBench } from './bench-fidelity.js';
import { registerGatewayBench } from './bench-gateway.js';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks that print ratios against named baselines');
  bench
    .command('function')
    .description('items/s of the function over processes x threads x batch, as ratios to 1 process x 1 thread')
    .option('--model <name>', 'model', defaultModelName)
    .option('--batch <list>', 'batch sizes', numberList('--batch', 1, 64), [1, 4, 8, 16])
    .option('--processes <list>', 'worker processes', numberList('--processes', 1, 6), [1, 2])
    .option('--threads <list>', 'threads per process', numberList('--threads', 1, 6), [1, 2])
    .option('--modes <list>', 'worker kinds: process,thread', parseModes, ['process', 'thread'] as WorkerMode[])
    .option('--rounds <n>', 'interleaved rounds (median reported)', integerOption('--rounds', 1, 50), 3)
    .option('--cell-ms <ms>', 'measured time per configuration and round', integerOption('--cell-ms', 100, 60_000), 1000)
    .option('--json', 'print rows as JSON')
    .action(async (flags) => {
      const rows = await runFunctionBench(
        { model: flags.model, batches: flags.batch, processes: flags.processes, threads: flags.threads, modes: flags.modes,
          rounds: flags.rounds, cellMs: flags.cellMs, cacheDir: functionOptionsFromEnv(process.env).cacheDir },
        (line) => console.error(line),
      );
      if (flags.json) {
        console.log(JSON.stringify({ machine: machineLine(), model: flags.model, rows }, null, 2));
        return;
      }
      printFunctionTable(rows, flags.rounds, flags.model);
    });
  registerRuntimeBench(bench);
  registerTunerBench(bench);
  registerDetectBench(bench);
  registerGatewayBench(bench);
  registerClockBench(bench);
  registerMemoryBench(bench);
  registerSimBench(bench);
  registerFidelityBench(bench);
  registerCostBench(bench);
}

function printLatencyTable(title: string, rows: LatencyRow[]): void {
  console.log(`\n${title}\n`);
  console.log('| path | p50 ms | p99 ms | p50 vs floor |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${r.p50Ms} | ${r.p99Ms} | ${r.vsFloor.toFixed(2)}x |`);
}

function parseModes(text: string): WorkerMode[] {
  const modes = text.split(',').map((m) => m.trim());
  for (const mode of modes) {
    if (mode !== 'process' && mode !== 'thread') {
      throw new FerryError('INVALID_ARGUMENT', `Expected --modes to list process and/or thread, got "${text}"`);
    }
  }
  return modes as WorkerMode[];
}

/** One line per (batch, processes x threads), worker processes and threads side by side. */
function registerRuntimeBench(bench: Command): void {
  bench
    .command('runtime')
    .description('local runtime overhead: warm empty-batch invocation and cold start, next to plain child-process floors')
    .option('--warm <n>', 'warm invocations per path', integerOption('--warm', 10, 100_000), 300)
    .option('--cold <n>', 'cold starts per path', integerOption('--cold', 1, 100), 5)
    .option('--json', 'print rows as JSON')
    .action(async (flags: { warm: number; cold: number; json?: boolean }) => {
      const result = await runRuntimeBench(
        { cacheDir: functionOptionsFromEnv(process.env).cacheDir, warmCount: flags.warm, coldCount: flags.cold },
        (line) => console.error(line),
      );
      if (flags.json) {
        console.log(JSON.stringify({ machine: machineLine(), ...result }, null, 2));
        return;
      }
      console.log(`\nferry bench runtime (machine: ${machineLine()})`);
      printLatencyTable(`Warm invocation overhead, empty batch, ${flags.warm} invocations each`, result.warm);
      printLatencyTable(`Cold start, ${flags.cold} each`, result.cold);
    });
}

function printFunctionTable(rows: FunctionBenchRow[], rounds: number, model: string): void {
  console.log(`\nferry bench function: ${model}, image inputs, median of ${rounds} interleaved rounds`);
  console.log(`machine: ${machineLine()}\n`);
  console.log('| batch | processes x threads | processes: items/s | vs 1 x 1 | threads: items/s | vs 1 x 1 |');
  console.log('|---|---|---|---|---|---|');
  const cell = (row: FunctionBenchRow | undefined) => (row ? `${row.itemsPerS} | ${row.ratio.toFixed(2)}x` : '- | -');
  for (const row of rows) {
    if (row.mode === 'thread' && rows.some((r) => r.mode === 'process')) continue;
    const twin = (mode: WorkerMode) =>
      rows.find((r) => r.mode === mode && r.batch === row.batch && r.processes === row.processes && r.threadsPerProcess === row.threadsPerProcess);
    console.log(`| ${row.batch} | ${row.processes} x ${row.threadsPerProcess} | ${cell(twin('process'))} | ${cell(twin('thread'))} |`);
  }
}
