import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { fidelityPolicies, runFidelityBench, type FidelityOptions } from '../bench/fidelity.js';
import { fidelityOutput, fidelityTargets, formatFidelityTable, withinTargets, type FidelityOutput } from '../bench/fidelity-rows.js';
import { machineLine } from '../bench/function-bench.js';
import { defaultCostTrace } from '../bench/gateway-cost.js';
import { functionOptionsFromEnv } from '../function/handler.js';
import { defaultModelName } from '../function/models/registry.js';
import { cpuQuotaNote } from '../platform/local/cpu-quota.js';
import { runProfile } from '../platform/local/profiler.js';
import { integerOption, numberOption } from '../util/options.js';
import { progressBar } from './progress.js';

interface FidelityFlags {
  durationS: number;
  timeScale: number;
  trace: string;
  sloMs: number;
  concurrency: number;
  hostCores: number;
  seed: number;
  runs: number;
  profile?: string;
  saveProfile?: string;
  json?: boolean;
}

/**
 * The grid profiled before the runs when no --profile is given: the batch sizes, process
 * counts and CPU shares the two static rows use and joint-bo explores first, on this machine
 * (a shipped profile made on another host measures that host: 1.2-3x apart seen here).
 */
export const fidelityProfileGrid = { batches: [1, 2, 4, 8, 16, 32], processes: [1, 2], threads: [1], vcpus: [0.5, 1, 2], repeat: 10, warmup: 2 } as const;

export function registerFidelityBench(bench: Command): void {
  bench
    .command('fidelity')
    .description('the simulator against live serving: the same trace slice, static configurations and joint-bo, cost and p99 side by side')
    .option('--duration-s <s>', 'seconds of (scaled) trace per policy', numberOption('--duration-s', 0, 86_400, true), 120)
    .option('--time-scale <k>', 'replay the trace k times faster', numberOption('--time-scale', 0, 10_000, true), 10)
    .option('--trace <file>', 'trace CSV', defaultCostTrace)
    .option('--slo-ms <ms>', 'latency objective', integerOption('--slo-ms', 1, 600_000), 300)
    .option('--concurrency <n>', 'invocations in flight (dispatcher and runtime)', integerOption('--concurrency', 1, 1000), 4)
    .option('--host-cores <n>', "the simulator's shared host cores (this machine's)", numberOption('--host-cores', 0, 1024, true), 2)
    .option('--seed <n>', 'seed of the simulator and of the optimizer (live and simulated)', integerOption('--seed', 0, 2 ** 31), 1)
    .option('--runs <n>', 'repeat everything and report medians', integerOption('--runs', 1, 10), 1)
    .option('--profile <file>', "the simulator's profile (`ferry profile --out FILE`, made on this machine); default: profile this machine first (about 2 minutes)")
    .option('--save-profile <file>', 'write the profile measured before the runs to this file')
    .option('--json', 'print the results as JSON')
    .action(async (flags: FidelityFlags) => {
      const log = (line: string) => console.error(line);
      const quota = (await cpuQuotaNote()).note;
      const cacheDir = functionOptionsFromEnv(process.env).cacheDir;
      const profile = flags.profile ?? await profileThisMachine(cacheDir, log, flags.saveProfile);
      const options: FidelityOptions = {
        model: defaultModelName, trace: flags.trace, timeScale: flags.timeScale, durationS: flags.durationS, sloMs: flags.sloMs,
        concurrency: flags.concurrency, hostCores: flags.hostCores, seed: flags.seed, cacheDir, profile,
      };
      const runs: FidelityOutput['runs'] = [];
      for (let i = 0; i < flags.runs; i++) {
        const bar = progressBar('replay');
        try {
          runs.push(await runFidelityBench(options, (line) => log(`run ${i + 1}/${flags.runs}: ${line}`),
            (label, p) => bar.update(p.due, p.scheduled, `${label}: answered ${p.answered}, in flight ${p.outstanding}`)));
        } finally {
          bar.stop();
        }
      }
      const { cacheDir: _cacheDir, policies: _policies, profile: _profile, ...shown } = options;
      const profileLabel = flags.profile ?? `measured on this machine before the runs (${describeGrid()})`;
      const output = fidelityOutput({ machine: machineLine(), quota, options: { ...shown, profile: profileLabel, runs: flags.runs }, targets: fidelityTargets, runs });
      if (flags.json) {
        console.log(JSON.stringify(output, null, 2));
        return;
      }
      printFidelity(output);
    });
}

/** Profiles this machine over fidelityProfileGrid and returns the file it wrote. */
async function profileThisMachine(cacheDir: string, log: (line: string) => void, saveTo?: string): Promise<string> {
  log(`profiling this machine first (${describeGrid()}); --profile FILE skips this`);
  const bar = progressBar('profiling');
  const grid = fidelityProfileGrid;
  let profile;
  try {
    profile = await runProfile({
      model: defaultModelName, batches: [...grid.batches], processes: [...grid.processes], threads: [...grid.threads], vcpus: [...grid.vcpus],
      repeat: grid.repeat, warmup: grid.warmup, cacheDir,
    }, bar.update);
  } finally {
    bar.stop();
  }
  const file = saveTo ?? path.join(await mkdtemp(path.join(os.tmpdir(), 'ferry-fidelity-')), 'profile.json');
  await writeFile(file, `${JSON.stringify(profile, null, 2)}\n`);
  log(`profile written to ${file}`);
  return file;
}

function describeGrid(): string {
  const g = fidelityProfileGrid;
  return `batch ${g.batches.join(',')} x processes ${g.processes.join(',')} x ${g.vcpus.join(',')} vCPU, ${g.repeat} runs each`;
}

function printFidelity(output: FidelityOutput): void {
  const o = output.options;
  console.log(`\n## ferry bench fidelity: the simulator against live serving\n`);
  console.log(`machine: ${output.machine}; ${output.quota}`);
  console.log(`trace ${o.trace} at ${o.timeScale}x, ${o.durationS} s per policy, SLO ${o.sloMs} ms, concurrency ${o.concurrency}; ` +
    `sim: ${o.hostCores} shared host cores, seed ${o.seed}, profile ${o.profile ?? 'shipped'}; median of ${o.runs} run(s); cost excludes the initial warm-up on both sides\n`);
  for (const line of formatFidelityTable(output.rows)) console.log(line);
  const statics = output.rows.filter((r) => fidelityPolicies.find((p) => p.name === r.policy)?.kind === 'static');
  const met = statics.every(withinTargets);
  console.log(`\ntarget (static rows): cost within ${fidelityTargets.costRelErr * 100}%, p99 within ${fidelityTargets.p99RelErr * 100}%: ${met ? 'met' : 'NOT met'}`);
  console.log('\nper-invocation terms (last run): warm traffic invocations, gateway-observed service time vs billed handler time');
  for (const d of output.runs[output.runs.length - 1]!.diagnostics) {
    console.log(`  ${d.policy}: host load during the live replay: ${d.hostLoad.foreignRunnable} foreign, ${d.hostLoad.ownRunnable} own runnable threads (${d.hostLoad.samples} samples); the gateway's process used ${d.gatewayCores} cores`);
    for (const [side, s] of [['live', d.live], ['sim', d.sim], ['sim, dedicated host', d.simDedicatedHost]] as const) {
      const overhead = s.overheadMs ? `${s.overheadMs.fixedMs} + ${s.overheadMs.perItemMs}/item ms` : '-';
      const sizes = s.byBatchSize.filter((b) => b.invocations >= 5).map((b) => `b${b.batchSize}: ${b.handlerMs}/${b.serviceMs} ms (${b.invocations})`).join(', ');
      console.log(`  ${d.policy} ${side}: ${s.invocations} invocations, mean batch ${s.meanBatchSize}, overhead ${overhead}, ` +
        `cold starts ${s.coldStarts}${s.meanInitMs !== null ? ` (INIT ${s.meanInitMs} ms)` : ''}; handler/service by batch: ${sizes}`);
    }
  }
}
