import type { Command } from 'commander';
import { machineLine } from '../bench/function-bench.js';
import { defaultCostTrace, runCostBench, type CostRow } from '../bench/gateway-cost.js';
import { runGatewayOverhead, type OverheadOptions, type OverheadRow } from '../bench/gateway-overhead.js';
import { cpuQuotaNote } from '../platform/local/cpu-quota.js';
import { FerryError } from '../core/errors.js';
import { functionOptionsFromEnv } from '../function/handler.js';
import { defaultModelName } from '../function/models/registry.js';
import { integerOption, numberOption } from '../util/options.js';
import { progressBar } from './progress.js';

interface GatewayBenchFlags {
  parts: Array<'overhead' | 'cost'>;
  overheadS: number;
  overheadRounds: number;
  warmupS: number;
  connections: number;
  batchSloMs: number;
  concurrency: number;
  durationS: number;
  rounds: number;
  timeScale: number;
  trace: string;
  sloMs: number;
  json?: boolean;
}

/** Share of the floor's requests/s the gateway (batch 1) should reach. */
const overheadTarget = 0.7;

export function registerGatewayBench(bench: Command): void {
  bench
    .command('gateway')
    .description('A: gateway overhead against a plain node:http floor (no-op invoker); B: cost and latency of batch 8 x 2 processes vs batch 1 x 1 process on a real trace')
    .option('--parts <list>', 'which parts: overhead,cost', parseParts, ['overhead', 'cost'])
    .option('--overhead-s <s>', 'A: measured seconds per server and round', integerOption('--overhead-s', 1, 600), 10)
    .option('--overhead-rounds <n>', 'A: interleaved rounds (medians reported)', integerOption('--overhead-rounds', 1, 50), 3)
    .option('--warmup-s <s>', 'A: unmeasured seconds per server first', integerOption('--warmup-s', 0, 60), 2)
    .option('--connections <n>', 'A: autocannon connections', integerOption('--connections', 1, 10_000), 32)
    .option('--batch-slo-ms <ms>', 'A: SLO of the batch-8 gateway', integerOption('--batch-slo-ms', 1, 60_000), 25)
    .option('--concurrency <n>', 'invocations in flight (dispatcher and runtime)', integerOption('--concurrency', 1, 1000), 4)
    .option('--duration-s <s>', 'B: seconds of replay per configuration and round', numberOption('--duration-s', 0, 86_400, true), 120)
    .option('--rounds <n>', 'B: rounds (A then B, then B then A, ...)', integerOption('--rounds', 1, 20), 1)
    .option('--time-scale <k>', 'B: replay the trace k times faster', numberOption('--time-scale', 0, 10_000, true), 10)
    .option('--trace <file>', 'B: trace CSV', defaultCostTrace)
    .option('--slo-ms <ms>', 'B: latency objective', integerOption('--slo-ms', 1, 600_000), 300)
    .option('--json', 'print the results as JSON')
    .action(async (flags: GatewayBenchFlags) => {
      const log = (line: string) => console.error(line);
      const machine = machineLine();
      const output: Record<string, unknown> = { machine };
      if (flags.parts.includes('overhead')) {
        const options: OverheadOptions = {
          durationS: flags.overheadS, rounds: flags.overheadRounds, connections: flags.connections, warmupS: flags.warmupS,
          maxInFlight: flags.concurrency, batchSloMs: flags.batchSloMs,
        };
        const rows = await runGatewayOverhead(options, log);
        output.overhead = { options, target: overheadTarget, rows };
        if (!flags.json) printOverhead(rows, options, machine);
      }
      if (flags.parts.includes('cost')) {
        const quota = (await cpuQuotaNote()).note;
        const bar = progressBar('replay');
        let rows: CostRow[];
        try {
          rows = await runCostBench(
            { model: defaultModelName, trace: flags.trace, timeScale: flags.timeScale, durationS: flags.durationS, rounds: flags.rounds,
              sloMs: flags.sloMs, concurrency: flags.concurrency, cacheDir: functionOptionsFromEnv(process.env).cacheDir },
            log,
            (label, p) => bar.update(p.due, p.scheduled, `${label}: answered ${p.answered}, in flight ${p.outstanding}`),
          );
        } finally {
          bar.stop();
        }
        output.cost = { quota, flags: { durationS: flags.durationS, rounds: flags.rounds, timeScale: flags.timeScale, trace: flags.trace, sloMs: flags.sloMs, concurrency: flags.concurrency }, rows };
        if (!flags.json) printCost(rows, flags, machine, quota);
      }
      if (flags.json) console.log(JSON.stringify(output, null, 2));
    });
}

function printOverhead(rows: OverheadRow[], o: OverheadOptions, machine: string): void {
  console.log(`\n## A. Gateway overhead: no-op invoker vs a plain node:http floor`);
  console.log(`\nmachine: ${machine}`);
  console.log(`autocannon, ${o.connections} connections, ${o.durationS} s per server x ${o.rounds} interleaved rounds (medians), ` +
    `POST of one small OIP BYTES image; servers in child processes, gateway concurrency ${o.maxInFlight}\n`);
  console.log('| server | requests/s | vs floor | p50 ms | p99 ms | requests/s per round | server CPU (cores) | server CPU µs/request | failed |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.requestsPerS} | ${r.vsFloor.toFixed(2)}x | ${r.p50Ms} | ${r.p99Ms} | ${r.perRound.join(', ')} | ${r.serverCpuCores ?? '-'} | ${r.cpuUsPerRequest ?? '-'} | ${r.failures} |`);
  }
  console.log('\n(autocannon latencies have 1 ms resolution. A server CPU well below 1 core means something else set the pace: the load');
  console.log('generator, or other processes on a busy machine; CPU µs per request then compares the servers more fairly.)');
  const batch1 = rows[1]!;
  const met = batch1.vsFloor >= overheadTarget;
  console.log(`\ntarget: gateway (batch 1) >= ${overheadTarget * 100}% of the floor's requests/s: ${(batch1.vsFloor * 100).toFixed(0)}%, ${met ? 'met' : 'NOT met'}`);
}

function printCost(rows: CostRow[], flags: GatewayBenchFlags, machine: string, quota: string): void {
  const [a, b] = rows as [CostRow, CostRow];
  console.log(`\n## B. Cost on a real trace: ${a.config.description} vs ${b.config.description}`);
  console.log(`\nmachine: ${machine}; ${quota}`);
  console.log(`trace ${flags.trace} replayed ${flags.timeScale}x faster (a scaled trace), ${flags.durationS} s of replay per config x ${flags.rounds} round(s), ` +
    `open loop; SLO ${flags.sloMs} ms; concurrency ${flags.concurrency}; embedded runtime, real model; cost = the gateway's billing (Lambda prices)\n`);
  console.log(`| | ${a.config.name}: ${a.config.description} | ${b.config.name}: ${b.config.description} |`);
  console.log('|---|---|---|');
  const line = (label: string, value: (r: CostRow) => string) => console.log(`| ${label} | ${value(a)} | ${value(b)} |`);
  line('requests sent (offered req/s)', (r) => `${r.report.sent} (${r.report.offeredRps ?? '-'})`);
  line('answered 200', (r) => String(r.report.byStatus['200'] ?? 0));
  line('not answered 200', (r) => describeCounts({ ...r.report.errorsByCode, ...(r.report.dropped > 0 ? { 'dropped (client)': r.report.dropped } : {}) }));
  line('cost per 1,000 requests (USD)', (r) => (r.report.gateway?.costPer1kUsd === undefined ? '-' : r.report.gateway.costPer1kUsd.toFixed(5)));
  line('mean batch size', (r) => String(r.report.gateway?.meanBatchSize ?? '-'));
  line('invocations', (r) => String(r.report.gateway?.invocations ?? '-'));
  line('p50 latency (ms)', (r) => String(r.report.latency?.p50Ms ?? '-'));
  line('p99 latency (ms)', (r) => String(r.report.latency?.p99Ms ?? '-'));
  line(`SLO attainment (200s within ${flags.sloMs} ms)`, (r) => (r.report.sloAttainment === undefined ? '-' : `${(r.report.sloAttainment * 100).toFixed(1)}%`));
  line('cold starts (after warm-up)', (r) => String(r.report.gateway?.coldStarts ?? '-'));
  const costA = a.report.gateway?.costPer1kUsd;
  const costB = b.report.gateway?.costPer1kUsd;
  if (costA !== undefined && costB !== undefined && costA > 0) {
    console.log(`\ncost ratio B/A (per 1,000 requests answered 200): ${(costB / costA).toFixed(2)}x`);
  }
}

function describeCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([key, n]) => `${key}: ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function parseParts(text: string): Array<'overhead' | 'cost'> {
  const parts = text.split(',').map((p) => p.trim());
  for (const part of parts) {
    if (part !== 'overhead' && part !== 'cost') throw new FerryError('INVALID_ARGUMENT', `Expected --parts to list overhead and/or cost, got "${text}"`);
  }
  return parts as Array<'overhead' | 'cost'>;
}
