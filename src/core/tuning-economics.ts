import { invocationCostUsd } from './billing.js';
import type { Config } from './config-space.js';
import { normalCdf } from './bayes-opt-acquisition.js';
import { vcpusForMemory } from './pricing.js';

/**
 * What exploring costs and what it buys, in dollars: the optimizer's acquisition weighs a
 * trial's expected saving over the time it would be used against the trial's own price,
 * and stops once no trial pays for itself. Sample efficiency (evaluations to reach the
 * optimum) is what a surface benchmark counts; what a user pays is the bill, in which a
 * trial window at a dear configuration and the cold starts of every memory change are as
 * real as the saving they may find.
 */
export interface TrialEconomics {
  /**
   * Seconds a better configuration, once found, is expected to serve before the traffic
   * changes (and tuning starts over): the time over which a trial's saving is counted.
   */
  horizonS: number;
  /** Requests one trial window takes, at least (the controller's minRequests). */
  windowRequests: number;
  /** Seconds one trial window takes, at least (the controller's minWindowMs). */
  windowS: number;
  /**
   * Invocations serving runs at once, at most (the gateway's concurrency): a switch cannot
   * start more instances than this. @default Infinity
   */
  maxInstances?: number;
}

/** What serving measured that prices a change of configuration. */
export interface SwitchContext {
  /** Function instances busy on average over the last window (billed time / window). */
  instancesInUse?: number;
  /**
   * Mean INIT of the cold starts seen, in ms at one vCPU: below one vCPU an INIT takes
   * longer in proportion (the model loads on the instance's CPU share), so each is scaled
   * to one vCPU when recorded and back to the new memory's share when a switch is priced.
   */
  coldStartMs?: number;
  /**
   * Seconds the traffic has held a regime between re-tunings, on average, when serving has
   * seen some (tuning-controller.ts): a saving found now lasts about that long, so the
   * horizon a trial is priced over is at most this.
   */
  regimeS?: number;
}

/** The horizon a trial's saving is counted over: the configured one, or less when regimes have been shorter. */
export function effectiveHorizonS(economics: TrialEconomics, context: SwitchContext = {}): number {
  return context.regimeS !== undefined && context.regimeS > 0 ? Math.min(economics.horizonS, context.regimeS) : economics.horizonS;
}

/** INIT assumed before serving has shown a cold start (the measured MobileNetV2 INIT is about 1 s). */
export const defaultColdStartMs = 1000;
/** Starting one worker process inside a warm instance (the simulator's measured default). */
export const workerStartMs = 100;

/** INIT at `memoryMb`, from one at one vCPU (SwitchContext.coldStartMs). */
export function initMsAt(memoryMb: number, initMsAtOneVcpu: number): number {
  return initMsAtOneVcpu / Math.min(1, vcpusForMemory(memoryMb));
}

/** The inverse: an INIT seen at `memoryMb`, as it would take at one vCPU. */
export function initMsAtOneVcpu(memoryMb: number, initMs: number): number {
  return initMs * Math.min(1, vcpusForMemory(memoryMb));
}

/**
 * The price of moving from one configuration to another. A memory change is a new function
 * version: new instances, each billed its INIT at the new memory. The gateway warms as many
 * as traffic kept busy, and holds one batch for each; every further full batch that
 * arrives while they start goes at once and starts one more (ModelBatcher.hold). So a
 * switch starts the larger of the two, at most `maxInstances`: at 100 req/s, a switch to
 * 512 MB (INIT 3.7 s at 0.29 vCPU) with batches of 1 starts about 370 instances, not the 5
 * that 2 GB kept busy (traced in the simulator, MobileNetV2 under bursts of 100 req/s: one
 * such trial cost 29% of the hour's bill). A process-count change restarts workers inside
 * warm instances, billed as one warm-up each. A batch-size change only changes how the
 * gateway batches.
 */
export function switchCostUsd(from: Config, to: Config, context: SwitchContext = {}, arrivalRatePerS = 0, maxInstances = Infinity): number {
  const instances = Math.max(1, Math.ceil(context.instancesInUse ?? 1));
  if (from.memoryMb !== to.memoryMb) {
    const initMs = initMsAt(to.memoryMb, context.coldStartMs ?? defaultColdStartMs);
    const arrivingBatches = Math.ceil((arrivalRatePerS * initMs) / 1000 / to.batchSize);
    return Math.min(maxInstances, Math.max(instances, arrivingBatches)) * invocationCostUsd(initMs, to.memoryMb);
  }
  if (from.processes !== to.processes) return instances * invocationCostUsd(workerStartMs * to.processes, to.memoryMb);
  return 0;
}

export interface TrialValueInputs {
  /** The model's log cost per request at the candidate: mean and variance. */
  logCost: { mean: number; variance: number };
  pFeasible: number;
  /** Expected improvement on log cost over the reference (EI's own units). */
  expectedImprovement: number;
  /** Log cost per request of the configuration that would serve otherwise. */
  referenceLogCost: number;
  arrivalRatePerS: number;
  /** Moving to the candidate, and back if it is not kept. */
  switchInUsd: number;
  switchBackUsd: number;
}

/**
 * Expected net value of one trial, in USD: the saving it may find, over the requests of
 * the horizon after the trial, less what the trial window pays above the reference and the
 * switches it takes. A positive value is a trial worth its window.
 * - gain: P(feasible) x (1 - exp(-EI)) x reference cost x requests. EI is on log cost, so
 *   1 - exp(-EI) is the expected fractional saving; an infeasible candidate saves nothing.
 * - trial: window requests x (E[cost] - reference cost), where E[cost] of a log-normal is
 *   exp(mean + variance / 2) (counted only when dearer: a cheaper trial is no loss), plus
 *   the switch in, plus the switch back unless the candidate is kept.
 */
export function trialValueUsd(inputs: TrialValueInputs, economics: TrialEconomics): number {
  const referenceUsd = Math.exp(inputs.referenceLogCost);
  const windowRequests = Math.max(economics.windowRequests, inputs.arrivalRatePerS * economics.windowS);
  const horizonRequests = Math.max(0, inputs.arrivalRatePerS * economics.horizonS - windowRequests);
  const gainUsd = inputs.pFeasible * (1 - Math.exp(-inputs.expectedImprovement)) * referenceUsd * horizonRequests;
  const sd = Math.sqrt(Math.max(0, inputs.logCost.variance));
  const expectedUsd = Math.exp(inputs.logCost.mean + Math.min(1, inputs.logCost.variance) / 2);
  const pKept = inputs.pFeasible * (sd > 1e-12 ? normalCdf((inputs.referenceLogCost - inputs.logCost.mean) / sd) : Number(inputs.logCost.mean < inputs.referenceLogCost));
  const trialUsd = windowRequests * Math.max(0, expectedUsd - referenceUsd) + inputs.switchInUsd + (1 - pKept) * inputs.switchBackUsd;
  return gainUsd - trialUsd;
}
