import type { Command } from 'commander';
import { defaultModelName, modelNames } from '../function/models/registry.js';
import { runLoadgen } from '../loadgen/loadgen.js';
import type { LoadgenReport } from '../loadgen/report.js';
import { integerOption, numberOption } from '../util/options.js';
import { progressBar } from './progress.js';

interface LoadgenFlags {
  url: string;
  model: string;
  trace: string;
  timeScale: number;
  durationS?: number;
  startS: number;
  maxOutstanding: number;
  sloMs?: number;
  token?: string;
  json?: boolean;
}

export function registerLoadgen(program: Command): void {
  program
    .command('loadgen')
    .description('replay a request-arrival trace against a gateway, open loop, and report latency, errors and billed cost')
    .requiredOption('--url <url>', 'the gateway, e.g. http://127.0.0.1:8080')
    .requiredOption('--trace <file|spec>', 'trace CSV with a TIMESTAMP (date-time) or timestamp (seconds) column (or count: per-second counts, spread evenly), or a generator spec like "gen:poisson?rate-per-s=20&duration-s=60&seed=1"')
    .option('--model <name>', `model to send its sample images to (${modelNames().join(', ')})`, defaultModelName)
    .option('--time-scale <k>', 'replay k times faster than the trace', numberOption('--time-scale', 0, 1_000_000, true), 1)
    .option('--duration-s <s>', 'stop after this many seconds of replay time', numberOption('--duration-s', 0, 31_536_000, true))
    .option('--start-s <s>', 'skip the first seconds of the trace (trace time)', numberOption('--start-s', 0, 31_536_000), 0)
    .option('--max-outstanding <n>', 'requests in flight at most; beyond, due requests are dropped', integerOption('--max-outstanding', 1, 100_000), 2000)
    .option('--slo-ms <ms>', 'SLO for the attainment figure (default: the gateway\'s, from the model metadata)', integerOption('--slo-ms', 1, 600_000))
    .option('--token <token>', 'bearer token of the gateway (or set FERRY_TOKEN)')
    .option('--json', 'print one JSON object')
    .action(async (flags: LoadgenFlags) => {
      const bar = progressBar('loadgen');
      const token = flags.token ?? process.env.FERRY_TOKEN;
      let run;
      try {
        run = await runLoadgen({
          url: flags.url, model: flags.model, trace: flags.trace, timeScale: flags.timeScale, startS: flags.startS,
          maxOutstanding: flags.maxOutstanding,
          ...(flags.durationS !== undefined ? { durationS: flags.durationS } : {}),
          ...(flags.sloMs !== undefined ? { sloMs: flags.sloMs } : {}),
          ...(token ? { token } : {}),
          onProgress: (p) => bar.update(p.due, p.scheduled, `answered ${p.answered}, in flight ${p.outstanding}, dropped ${p.dropped}`),
        });
      } finally {
        bar.stop();
      }
      if (flags.json) console.log(JSON.stringify(run.report, null, 2));
      else printReport(run.report);
    });
}

export function printReport(r: LoadgenReport): void {
  const offered = r.offeredRps === undefined ? '' : `, offered ${r.offeredRps} req/s`;
  console.log(`ferry loadgen: ${r.model} at ${r.url}, trace ${r.trace} x${r.timeScale} (${r.scheduled} requests${offered})`);
  const statuses = Object.entries(r.byStatus).map(([status, n]) => `${status} x${n}`).join(', ') || 'none';
  console.log(`  sent ${r.sent}, dropped ${r.dropped} (client side, over --max-outstanding); answers: ${statuses}`);
  const codes = Object.entries(r.errorsByCode);
  if (codes.length > 0) console.log(`  errors: ${codes.map(([code, n]) => `${code} x${n}`).join(', ')}`);
  if (r.latency) {
    const l = r.latency;
    console.log(`  latency of 200s: p50 ${l.p50Ms} ms, p90 ${l.p90Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms`);
  }
  if (r.sloAttainment !== undefined) console.log(`  SLO ${r.sloMs} ms: ${pct(r.sloAttainment)} of 200s within (${pct(r.goodputShare ?? 0)} of requests sent)`);
  console.log(`  replay: ${r.durationS} s (last request sent at ${r.sendSpanS} s), ${r.achievedRps} req/s answered 200; ` +
    `send lag p99 ${r.sendLagP99Ms} ms, max ${r.sendLagMaxMs} ms`);
  const g = r.gateway;
  if (!g) {
    console.log('  gateway: /metrics could not be read, no cost figures');
    return;
  }
  const perK = g.costPer1kUsd === undefined ? '' : `, ${usd(g.costPer1kUsd)} per 1,000 answered 200`;
  console.log(`  gateway: ${g.invocations} invocations, ${g.coldStarts} cold starts, mean batch ${g.meanBatchSize ?? '-'}; ` +
    `billed ${usd(g.costUsd)}${perK}`);
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const usd = (value: number) => `$${value.toPrecision(4)}`;
