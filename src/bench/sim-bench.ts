import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import type { Tuner } from '../core/tuning-controller.js';
import { machineLine } from './function-bench.js';
import { policyTable } from '../sim/policies/index.js';
import { jointBoPolicy } from '../sim/policies/joint-bo.js';
import { defaultStaticConfig } from '../sim/policies/static.js';
import { buildSetup } from '../sim/setup.js';
import { simulatePolicy, type Policy } from '../sim/simulate.js';
import { integerOption } from '../util/options.js';

export interface SimBenchRow {
  policy: string;
  requests: number;
  events: number;
  wallS: number;
  requestsPerWallS: number;
  /** joint-bo: wall time inside the optimizer (GP fits, acquisition), and its calls. */
  tunerS?: number;
  tunerCalls?: number;
}

/** Times a tuner's calls (its GP fits and acquisition are most of what joint-bo adds to the engine). */
function timedTuner(tuner: Tuner, tally: { s: number; calls: number }): Tuner {
  const time = <T>(f: () => T): T => {
    const start = performance.now();
    try {
      return f();
    } finally {
      tally.s += (performance.now() - start) / 1000;
      tally.calls++;
    }
  };
  return {
    suggest: (context) => time(() => tuner.suggest(context)),
    observe: (config, evaluation, context) => time(() => tuner.observe(config, evaluation, context)),
    restart: (options) => tuner.restart(options),
  };
}

/**
 * Simulated requests per second of wall time, per policy, on a 1-hour trace at about 100
 * req/s: the event engine, the production serving code and each policy's own control code
 * (joint-bo's Gaussian-process fits included), one run each.
 */
export function runSimBench(options: { trace: string; policies: readonly string[]; seed: number }, log: (line: string) => void): SimBenchRow[] {
  const { setup } = buildSetup({ trace: options.trace, model: 'mobilenetv2', sloMs: 300, seed: options.seed });
  const rows: SimBenchRow[] = [];
  for (const name of options.policies) {
    const entry = policyTable.find((p) => p.name === name);
    if (!entry) throw new RangeError(`unknown policy ${name}`);
    const tally = { s: 0, calls: 0 };
    const policies: Policy[] = name === 'joint-bo'
      ? [jointBoPolicy({ wrapTuner: (tuner) => timedTuner(tuner, tally) })]
      : entry.variants({ static: defaultStaticConfig, baselineMemoryMb: 3008, oracleSegmentS: 300 });
    log(`ferry bench sim: ${name} (${policies.length} run(s) of ${setup.scheduleMs.length} requests)...`);
    const startMs = performance.now();
    let events = 0;
    let requests = 0;
    for (const policy of policies) {
      const result = simulatePolicy(policy, setup);
      events += result.events;
      requests += result.requests;
    }
    const wallS = (performance.now() - startMs) / 1000;
    rows.push({
      policy: name, requests, events, wallS, requestsPerWallS: requests / wallS,
      ...(name === 'joint-bo' ? { tunerS: tally.s, tunerCalls: tally.calls } : {}),
    });
  }
  return rows;
}

export function registerSimBench(bench: Command): void {
  bench
    .command('sim')
    .description('simulated requests per second of wall time, per policy, on a 1-hour trace at about 100 req/s')
    .option('--trace <file|gen:spec>', 'the trace', 'gen:poisson?rate-per-s=100&duration-s=3600&seed=1')
    .option('--policies <list>', 'comma-separated policies', 'per-request,static,aimd,joint-bo')
    .option('--seed <n>', 'seed', integerOption('--seed', 0, 2 ** 31), 1)
    .option('--json', 'print rows as JSON')
    .action((flags: { trace: string; policies: string; seed: number; json?: boolean }) => {
      const rows = runSimBench({ trace: flags.trace, policies: flags.policies.split(','), seed: flags.seed }, (line) => console.error(line));
      if (flags.json) {
        console.log(JSON.stringify({ machine: machineLine(), trace: flags.trace, rows }, null, 2));
        return;
      }
      console.log(`\nferry bench sim: ${flags.trace} (machine: ${machineLine()})\n`);
      console.log('| policy | runs x requests | timers fired | wall s | simulated req / wall s | in the optimizer |');
      console.log('|---|---|---|---|---|---|');
      for (const r of rows) {
        const tuner = r.tunerS === undefined ? '' : `${r.tunerS.toFixed(2)} s (${((r.tunerS / r.wallS) * 100).toFixed(0)}%, ${r.tunerCalls} calls)`;
        console.log(`| ${r.policy} | ${r.requests} | ${r.events} | ${r.wallS.toFixed(2)} | ${Math.round(r.requestsPerWallS)} | ${tuner} |`);
      }
    });
}
