import type { Command } from 'commander';
import { machineLine, runFunctionBench } from '../bench/function-bench.js';
import { functionOptionsFromEnv } from '../function/handler.js';
import { defaultModelName } from '../function/models/registry.js';
import type { WorkerMode } from '../function/worker-handle.js';
import { FerryError } from '../core/errors.js';
import { integerOption, numberList } from './options.js';

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
      console.log(`\nferry bench function: ${flags.model}, image inputs, median of ${flags.rounds} interleaved rounds`);
      console.log(`machine: ${machineLine()}\n`);
      console.log('| workers | batch | processes x threads | items/s | vs 1 x 1 |');
      console.log('|---|---|---|---|---|');
      for (const r of rows) {
        console.log(`| ${r.mode} | ${r.batch} | ${r.processes} x ${r.threadsPerProcess} | ${r.itemsPerS} | ${r.ratio.toFixed(2)}x |`);
      }
    });
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
