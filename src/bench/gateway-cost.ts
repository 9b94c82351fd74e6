import { fileURLToPath } from 'node:url';
import type { ModelConfig } from '../serving/model-config.js';
import { runLoadgen } from '../loadgen/loadgen.js';
import { addCounters, type GatewayCounters } from '../loadgen/metrics-scrape.js';
import type { ReplayProgress, ReplayResult } from '../loadgen/replay.js';
import { poolReplays, summarize, type LoadgenReport } from '../loadgen/report.js';
import { startLocalServing } from './local-serving.js';

/** One serving configuration under test. */
export interface CostConfig {
  name: string;
  description: string;
  batchSize: number;
  processes: number;
  memoryMb: number;
}

/** ferry's default (batching x multi-processing) and the original system's one-request, one-process setting. */
export const costConfigs: readonly CostConfig[] = [
  { name: 'A', description: 'ferry: batch 8 x 2 processes x 3538 MB', batchSize: 8, processes: 2, memoryMb: 3538 },
  { name: 'B', description: 'original: batch 1 x 1 process x 3008 MB', batchSize: 1, processes: 1, memoryMb: 3008 },
];

export const defaultCostTrace = fileURLToPath(new URL('../../traces/azure-llm-2023/conv.csv', import.meta.url));

export interface CostBenchOptions {
  model: string;
  trace: string;
  timeScale: number;
  /** Seconds of replay per configuration and round. */
  durationS: number;
  /** Round 1 runs A then B, round 2 B then A, and so on. */
  rounds: number;
  sloMs: number;
  /** Dispatcher invocations in flight and runtime concurrency. */
  concurrency: number;
  cacheDir: string;
}

export interface CostRow {
  config: CostConfig;
  /** Every round of this configuration pooled: counts add, latencies pool. */
  report: LoadgenReport;
}

/**
 * Cost and latency of serving a real trace on the embedded runtime with the real model,
 * config by config (each round starts it afresh, warm-up included, as `ferry serve` does),
 * replayed open loop by the load generator; the gateway's own billing gives the cost.
 */
export async function runCostBench(
  options: CostBenchOptions,
  log: (line: string) => void,
  onProgress?: (label: string, progress: ReplayProgress) => void,
): Promise<CostRow[]> {
  const runs = new Map<string, { results: ReplayResult[]; counters: GatewayCounters[]; offeredRps?: number }>(costConfigs.map((c) => [c.name, { results: [], counters: [] }]));
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? costConfigs : [...costConfigs].reverse();
    for (const config of order) {
      const label = `round ${round + 1}/${options.rounds}, config ${config.name} (${config.description})`;
      log(`${label}: starting the runtime and warming up`);
      const serving = await startLocalServing({ model: options.model, config: modelConfig(options, config), cacheDir: options.cacheDir, concurrency: options.concurrency });
      try {
        log(`${label}: replaying ${options.durationS} s of ${options.trace} at x${options.timeScale}`);
        const run = await runLoadgen({
          url: serving.url, model: options.model, trace: options.trace, timeScale: options.timeScale, durationS: options.durationS,
          sloMs: options.sloMs,
          ...(onProgress ? { onProgress: (p: ReplayProgress) => onProgress(`${config.name} r${round + 1}`, p) } : {}),
        });
        const entry = runs.get(config.name)!;
        entry.results.push(run.result);
        if (run.counters) entry.counters.push(run.counters);
        entry.offeredRps ??= run.report.offeredRps;
        log(`${label}: ${run.report.byStatus['200'] ?? 0} answered 200 of ${run.report.sent} sent, ${run.report.dropped} dropped`);
      } finally {
        await serving.close();
      }
    }
  }
  return costConfigs.map((config) => {
    const { results, counters, offeredRps } = runs.get(config.name)!;
    // Cost figures only when every round's /metrics was read.
    const pooled = counters.length === results.length ? counters.reduce(addCounters) : undefined;
    const report = summarize(poolReplays(results), {
      model: options.model, url: 'local', trace: options.trace, timeScale: options.timeScale, sloMs: options.sloMs,
      ...(pooled ? { counters: pooled } : {}), ...(offeredRps !== undefined ? { offeredRps } : {}),
    });
    return { config, report };
  });
}

function modelConfig(options: CostBenchOptions, config: CostConfig): ModelConfig {
  return {
    functionName: options.model, batchSize: config.batchSize, processes: config.processes, threadsPerProcess: 1,
    memoryMb: config.memoryMb, sloMs: options.sloMs,
  };
}
