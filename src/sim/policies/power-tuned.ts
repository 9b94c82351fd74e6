import { billedDurationMs, invocationCostUsd } from '../../core/billing.js';
import type { InvokeOutcome } from '../../core/invoker.js';
import { Rng } from '../../core/random.js';
import { VirtualClock } from '../../core/virtual-clock.js';
import { SimulatedInvoker } from '../sim-invoker.js';
import type { Policy, SimulationSetup } from '../simulate.js';
import { describeConfig, modelConfig } from './static.js';

export interface PowerTuningOptions {
  /** Power Tuning's default `powerValues`. */
  memoryMb?: readonly number[];
  /** Invocations per memory size (`num`; its README recommends 10-100, at least 5). @default 10 */
  num?: number;
  /** Fraction of the fastest and of the slowest results dropped (`discardTopBottom`). @default 0.2 */
  discardTopBottom?: number;
}

export const powerTuningDefaultMemoryMb: readonly number[] = [128, 256, 512, 1024, 1536, 3008];

export interface PowerTuningResult {
  memoryMb: number;
  /** Every memory size tried: its average billed ms and cost per invocation, or why it failed. */
  tried: { memoryMb: number; averageMs?: number; costUsd?: number; failed?: string }[];
  costUsd: number;
  invocations: number;
  coldStarts: number;
}

/**
 * What AWS Lambda Power Tuning's `cost` strategy picks (alexcasalboni/aws-lambda-power-tuning:
 * for each power value, `num` sequential invocations of the function with a sample
 * payload on a fresh version, the fastest and slowest 20% discarded, the average duration
 * priced at that memory; the cheapest wins), run on the simulated platform with one
 * request per invocation and paid for like any invocation. A memory size whose
 * invocations fail (the model does not fit) is skipped, as a user would remove it and
 * run again; Power Tuning itself stops on a function error.
 */
export function runPowerTuning(setup: SimulationSetup, threadsPerProcess: number, rng: Rng, options: PowerTuningOptions = {}): PowerTuningResult {
  const clock = new VirtualClock(0, 1_000_000);
  const invoker = new SimulatedInvoker(clock, { fn: 3008 }, { ...setup.platform, latency: setup.latency, random: () => rng.next() });
  const num = options.num ?? 10;
  const discard = options.discardTopBottom ?? 0.2;
  const tried: PowerTuningResult['tried'] = [];
  let costUsd = 0;
  let invocations = 0;
  let coldStarts = 0;
  const event = { model: setup.model, inputs: [{ image: '' }], processes: 1, threadsPerProcess };
  for (const memoryMb of options.memoryMb ?? powerTuningDefaultMemoryMb) {
    invoker.setMemoryMb('fn', memoryMb, () => undefined);
    const durationsMs: number[] = [];
    let failed: string | undefined;
    for (let i = 0; i < num; i++) {
      let outcome: InvokeOutcome | undefined;
      invoker.invoke('fn', event, (o) => (outcome = o));
      while (!outcome && clock.step()) {
        // step the platform until this invocation answers (Power Tuning waits for each)
      }
      invocations++;
      if (outcome?.billing) {
        costUsd += outcome.billing.costUsd;
        if (outcome.billing.initDurationMs !== undefined) coldStarts++;
        // Power Tuning adds init time to the measured duration.
        durationsMs.push(outcome.billing.durationMs + (outcome.billing.initDurationMs ?? 0));
      }
      if (!outcome?.ok) {
        failed = outcome ? `${outcome.error.errorType}: ${outcome.error.message}` : 'no answer';
        break;
      }
    }
    if (failed) {
      tried.push({ memoryMb, failed });
      continue;
    }
    const sorted = [...durationsMs].sort((a, b) => a - b);
    const drop = Math.floor(sorted.length * discard);
    const kept = sorted.slice(drop, sorted.length - drop);
    const averageMs = kept.reduce((a, b) => a + b, 0) / kept.length;
    tried.push({ memoryMb, averageMs, costUsd: invocationCostUsd(billedDurationMs(averageMs), memoryMb) });
  }
  const working = tried.filter((t) => t.costUsd !== undefined);
  if (working.length === 0) throw new RangeError(`Power Tuning: every memory size failed (${tried.map((t) => `${t.memoryMb} MB: ${t.failed}`).join('; ')})`);
  const best = working.reduce((a, b) => (b.costUsd! < a.costUsd! ? b : a));
  return { memoryMb: best.memoryMb, tried, costUsd, invocations, coldStarts };
}

/**
 * `per-request` at the memory Power Tuning's `cost` strategy picks; the tuning runs before
 * the traffic, and its invocations are billed to the run.
 */
export function powerTunedPolicy(threadsPerProcess: 1 | 2, options: PowerTuningOptions = {}): Policy {
  return {
    name: `power-tuned (${threadsPerProcess} thread${threadsPerProcess === 1 ? '' : 's'})`,
    create: (setup, rng) => {
      const tuning = runPowerTuning(setup, threadsPerProcess, rng.fork(), options);
      const config = { memoryMb: tuning.memoryMb, batchSize: 1, processes: 1, threadsPerProcess };
      return {
        config: modelConfig(config, setup.sloMs),
        start: ({ report }) => report.addTuningCost(tuning.costUsd, tuning.invocations, tuning.coldStarts),
        describe: () => `${describeConfig(config)}; Power Tuning tried ${tuning.tried.map((t) => `${t.memoryMb} MB ${t.failed ? '(failed)' : `${t.averageMs!.toFixed(1)} ms`}`).join(', ')}`,
      };
    },
  };
}
