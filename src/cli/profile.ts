import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { functionOptionsFromEnv } from '../function/handler.js';
import { defaultModelName, modelNames } from '../function/models/registry.js';
import { runProfile, type Profile } from '../platform/local/profiler.js';
import { integerOption, numberList } from '../util/options.js';
import { progressBar } from './progress.js';

interface ProfileFlags {
  model: string;
  batch: number[];
  processes: number[];
  threads: number[];
  vcpus: number[];
  repeat: number;
  warmup: number;
  cpuPeriodMs: number;
  json?: boolean;
  out?: string;
}

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('measure a model over batch sizes x processes x threads x CPU share (a profile for the simulator)')
    .option('--model <name>', `one of: ${modelNames().join(', ')}`, defaultModelName)
    .option('--batch <list>', 'batch sizes', numberList('--batch', 1, 64), [1, 8])
    .option('--processes <list>', 'worker processes', numberList('--processes', 1, 6), [1, 2])
    .option('--threads <list>', 'ONNX Runtime threads per process', numberList('--threads', 1, 6), [1])
    .option('--vcpus <list>', 'CPU shares in vCPUs (enforced with a cgroup quota where possible)', numberList('--vcpus', 0.05, 6, false), [1])
    .option('--repeat <n>', 'timed runs per cell', integerOption('--repeat', 1, 10_000), 5)
    .option('--warmup <n>', 'untimed runs per cell', integerOption('--warmup', 1, 100), 2)
    .option('--cpu-period-ms <ms>', 'CFS period of the CPU quota', integerOption('--cpu-period-ms', 1, 1000), 100)
    .option('--json', 'print the profile as JSON on stdout')
    .option('--out <file>', 'also write the profile JSON to a file')
    .action(async (flags: ProfileFlags) => {
      const bar = progressBar('profiling');
      let profile: Profile;
      try {
        profile = await runProfile(
          {
            model: flags.model, batches: flags.batch, processes: flags.processes, threads: flags.threads,
            vcpus: flags.vcpus, repeat: flags.repeat, warmup: flags.warmup, cpuPeriodUs: flags.cpuPeriodMs * 1000,
            cacheDir: functionOptionsFromEnv(process.env).cacheDir,
          },
          bar.update,
        );
      } finally {
        bar.stop();
      }
      if (!profile.machine.cpuQuotaEnforced) {
        console.error(`ferry profile: could not enforce CPU shares (${profile.machine.cpuQuota}); measured unthrottled.`);
      }
      const over = profile.rows.filter((row) => row.vcpusEffective < row.vcpus);
      if (over.length > 0) {
        console.error(`ferry profile: this machine has ${profile.machine.cores} cores; rows above that many vCPUs ran on ${profile.machine.cores}.`);
      }
      const text = JSON.stringify(profile, null, 2);
      if (flags.out) await writeFile(flags.out, `${text}\n`);
      if (flags.json) console.log(text);
      else printTable(profile);
    });
}

function printTable(profile: Profile): void {
  console.log(`${profile.model} on ${profile.machine.cpuModel} (${profile.machine.cores} cores), ${profile.machine.cpuQuota}`);
  console.log('vcpus  procs  threads  batch    p50 ms    p99 ms   items/s');
  for (const r of profile.rows) {
    console.log(
      `${String(r.vcpus).padStart(5)}  ${String(r.processes).padStart(5)}  ${String(r.threadsPerProcess).padStart(7)}  ${String(r.batch).padStart(5)}` +
        `  ${r.p50Ms.toFixed(1).padStart(8)}  ${r.p99Ms.toFixed(1).padStart(8)}  ${r.itemsPerS.toFixed(1).padStart(8)}`,
    );
  }
}
