import { defaultBatchSizes, defaultMemoryMb } from '../../core/config-space.js';
import { fitsInMemory, type MemoryNeed } from '../../core/memory-need.js';
import type { Rng } from '../../core/random.js';
import { searchStatic, type Candidate } from '../static-search.js';
import type { Policy, PolicyContext } from '../simulate.js';
import { describeConfig, modelConfig } from './static.js';

export interface BatchPolicyOptions {
  /** Share of the trace observed before the first choice (BATCH's profiling window). @default 0.1 */
  profilingShare?: number;
  /** How often the arrival process is compared with the one the choice was made for. @default 60 s */
  checkEveryMs?: number;
  /** The recent window a re-choice simulates, and the one compared. @default 300 s */
  recentMs?: number;
  /** Significance of the two-sample Kolmogorov-Smirnov test on inter-arrival times. @default 0.01 */
  alpha?: number;
  /** Batching timeouts tried, as fractions of the SLO. */
  timeoutShares?: readonly number[];
}

/** The candidates BATCH chooses between: memory x batch size x timeout, one process, one thread, batches that fit. */
export function batchCandidates(sloMs: number, timeoutShares: readonly number[] = [0.1, 0.25, 0.5, 0.75], need?: MemoryNeed): Candidate[] {
  const fits = (memoryMb: number, batchSize: number) => !need || fitsInMemory(need, { memoryMb, batchSize, processes: 1 });
  return defaultMemoryMb.flatMap((memoryMb) => defaultBatchSizes.filter((batchSize) => fits(memoryMb, batchSize)).flatMap((batchSize) =>
    (batchSize === 1 ? [undefined] : timeoutShares.map((share) => share * sloMs)).map((maxWaitMs) => ({
      memoryMb, batchSize, processes: 1, threadsPerProcess: 1, ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
    }))));
}

/**
 * After BATCH (Ali, Pinciroli, Yan and Smirni, "BATCH: Machine Learning Inference Serving
 * on Serverless Platforms with Adaptive Batching", SC '20): one process per function, and
 * the (memory, batch size, batch timeout) that is cheapest while meeting the latency
 * objective for the arrivals seen. BATCH fits a Markovian arrival process to a profiling
 * window and picks the configuration with an analytical queueing model; ferry makes the
 * same choice by simulating every candidate on the recent arrivals themselves (the
 * profiling window, first 10% of the trace, for the first choice), which needs no model of
 * the arrival process. BATCH re-optimizes when its monitor sees the arrival process change;
 * here a two-sample Kolmogorov-Smirnov test on the inter-arrival times of the last 5
 * minutes against those the choice was made for, checked every minute. Until the first
 * choice it serves one request per invocation at 3008 MB. Re-configurations go through
 * the gateway like any other (memory changes cold-start new instances, which are billed).
 */
export function batchPolicy(options: BatchPolicyOptions = {}): Policy {
  const checkEveryMs = options.checkEveryMs ?? 60_000;
  const recentMs = options.recentMs ?? 300_000;
  const alpha = options.alpha ?? 0.01;
  return {
    name: 'batch',
    create: (setup, rng) => {
      const schedule = setup.scheduleMs;
      const spanMs = schedule.length > 0 ? schedule[schedule.length - 1]! : 0;
      const profilingMs = Math.max(checkEveryMs, (options.profilingShare ?? 0.1) * spanMs);
      const candidates = batchCandidates(setup.sloMs, options.timeoutShares, setup.platform.memoryNeedMb);
      const arrivalsMs: number[] = [];
      let reference: number[] = [];
      let choices = 0;
      let chosen: Candidate | undefined;
      let context: PolicyContext | undefined;
      const recent = (nowMs: number, lengthMs: number) => {
        let from = arrivalsMs.length;
        while (from > 0 && arrivalsMs[from - 1]! >= nowMs - lengthMs) from--;
        return arrivalsMs.slice(from).map((t) => t - (nowMs - lengthMs));
      };
      const choose = (window: number[], searchRng: Rng) => {
        const found = searchStatic(setup, candidates, window, searchRng);
        if (!found.best) return;
        chosen = found.best;
        choices++;
        reference = gaps(window);
        const gateway = context!.gateway;
        gateway.applyConfig(setup.model, modelConfig(found.best, setup.sloMs, found.best.maxWaitMs === undefined ? {} : { maxWaitMs: found.best.maxWaitMs }), () => undefined);
      };
      return {
        config: modelConfig({ memoryMb: 3008, batchSize: 1, processes: 1, threadsPerProcess: 1 }, setup.sloMs),
        observer: {
          onArrivals: (_model, count, atMs) => {
            for (let i = 0; i < count; i++) arrivalsMs.push(atMs);
          },
        },
        start: (c) => {
          context = c;
          const { clock } = c;
          let startMs: number | undefined;
          const check = () => {
            const nowMs = clock.nowMs();
            if (arrivalsMs.length === 0) return void clock.setTimer(checkEveryMs, check, { background: true });
            startMs ??= arrivalsMs[0]!;
            if (choices === 0 && nowMs - startMs >= profilingMs) choose(recent(nowMs, profilingMs), rng.fork());
            else if (choices > 0) {
              const window = recent(nowMs, recentMs);
              if (window.length >= 50 && reference.length >= 50 && ksDiffers(reference, gaps(window), alpha)) choose(window, rng.fork());
            }
            if (arrivalsMs.length < schedule.length) clock.setTimer(checkEveryMs, check, { background: true });
          };
          clock.setTimer(checkEveryMs, check, { background: true });
        },
        describe: () => chosen ? `${describeConfig(chosen)} (last of ${choices} choice(s))` : 'never chose (trace shorter than its profiling window)',
      };
    },
  };
}

function gaps(arrivalsMs: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < arrivalsMs.length; i++) out.push(arrivalsMs[i]! - arrivalsMs[i - 1]!);
  return out;
}

/** Two-sample Kolmogorov-Smirnov: do the samples come from different distributions at `alpha`? */
export function ksDiffers(a: readonly number[], b: readonly number[], alpha: number): boolean {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const n = x.length;
  const m = y.length;
  const critical = Math.sqrt(-0.5 * Math.log(alpha / 2)) * Math.sqrt((n + m) / (n * m));
  return d > critical;
}
