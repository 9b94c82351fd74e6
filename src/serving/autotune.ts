import type { ChangePointDetector } from '../core/change-point/detector.js';
import type { Clock } from '../core/clock.js';
import { isItemError } from '../core/function-event.js';
import { TuningController, type ControllerOptions, type Tuner, type TuningConfig, type TuningEvent } from '../core/tuning-controller.js';
import type { InvocationRecord, ServingObserver, TuningEventSink } from './events.js';
import type { ModelConfig } from './model-config.js';
import type { ItemSettlement } from './pending-item.js';

/** What tuning needs of serving: the configuration in force and a way to apply another. */
export interface TuningTarget {
  config(model: string): ModelConfig;
  applyConfig(model: string, config: ModelConfig, done: (error?: Error) => void): void;
  /** Puts a configuration on a slice of the model's traffic, or with none ends the slice (Gateway.applyTrial). */
  applyTrial?(model: string, config: ModelConfig | undefined, share: number, done: (error?: Error) => void): void;
}

export interface AutotuneModel {
  model: string;
  tuner: Tuner;
  detector: ChangePointDetector;
  /** Decisions of an earlier run (the tuning log), replayed so that a restart resumes. */
  earlier?: readonly TuningEvent[];
}

/** How trials share the traffic (ControllerOptions.trial, without the lane it applies to). */
export type SliceTrials = Omit<NonNullable<ControllerOptions['trial']>, 'apply'>;

/**
 * Trials on a slice of the traffic (`--tune-slice SHARE`, off by default): once an episode
 * has a configuration within the SLO, a trial gets SHARE of the requests (a quarter was
 * the best share tried), up to half where that would take more than 40 s to fill a window
 * (light traffic), and the rest stay on that configuration. Measured on the cost matrix, it
 * did not pass the rule to be on by default (docs/tuning.md, "Trials on a slice of the
 * traffic").
 */
export function sliceTrials(share: number): SliceTrials | false {
  return share > 0 && { share, maxShare: Math.max(share, 0.5), windowMs: 40_000 };
}

/** The controller's windows (`remeasureStart` defaults to on with slices: they were measured together). */
export type AutotuneWindows = Pick<ControllerOptions, 'minRequests' | 'minWindowMs' | 'maxWindowMs' | 'warmStart' | 'remeasureStart'> & {
  /** Trials on a slice of the traffic, where the target has a trial lane (sliceTrials). @default false: each trial takes all of it */
  slice?: SliceTrials | false;
};

/** The function of a model's trial lane: the model's own, suffixed; the two swap roles when a trial is kept. */
export function trialFunctionName(functionName: string): string {
  return `${functionName}-trial`;
}

/** One tuned model: its controller, and which of its two functions serves the configuration in force. */
interface Tuned {
  controller: TuningController;
  functions: readonly [string, string];
  mainFunction: string;
  /** The trial lane's last configuration (its function's instances stay warm a while after it is emptied). */
  lastTrial?: TuningConfig;
}

/**
 * Connects one TuningController per model to serving: as an observer it feeds arrivals,
 * answers and billed cost in; `apply` changes the configuration through the target (the
 * function's memory through the invoker); every decision goes to the sink, which the
 * tuning log, /metrics, the console and the simulator's timeline subscribe to.
 * Pure like the rest of src/serving/: the live gateway and the simulator run this object.
 */
export class Autotune implements ServingObserver {
  private readonly tuned = new Map<string, Tuned>();

  constructor(
    private readonly sink: TuningEventSink,
    private readonly clock: Clock,
  ) {}

  /**
   * Starts tuning the models; call once serving exists (it was given this object as an
   * observer). Returns, per model given `earlier` events, the evaluations it replayed and
   * skipped (TuningController.restore).
   */
  start(target: TuningTarget, models: readonly AutotuneModel[], windows: AutotuneWindows = {}): Map<string, { replayed: number; skipped: number }> {
    const restored = new Map<string, { replayed: number; skipped: number }>();
    const { slice = false, ...controllerWindows } = windows;
    for (const { model, tuner, detector, earlier } of models) {
      const base = target.config(model);
      const initial: TuningConfig = { memoryMb: base.memoryMb, batchSize: base.batchSize, processes: base.processes };
      const functions = [base.functionName, trialFunctionName(base.functionName)] as const;
      const trial = slice && target.applyTrial ? { ...slice, apply: (config: TuningConfig | undefined, share: number, done: (error?: Error) => void) => {
        const tuned = this.tuned.get(model)!;
        const functionName = otherFunction(tuned);
        if (config) tuned.lastTrial = config;
        target.applyTrial!(model, config && { ...target.config(model), ...config, functionName }, share, done);
      } } : undefined;
      const applyMain = (config: TuningConfig, done: (error?: Error) => void) => {
        const tuned = this.tuned.get(model)!;
        // A kept trial takes over the trial lane's function, whose instances are warm.
        const lane = tuned.lastTrial;
        const takeOver = lane !== undefined && lane.memoryMb === config.memoryMb && lane.processes === config.processes;
        const functionName = takeOver ? otherFunction(tuned) : tuned.mainFunction;
        target.applyConfig(model, { ...target.config(model), ...config, functionName }, (error) => {
          if (!error) tuned.mainFunction = functionName;
          done(error);
        });
      };
      const controller = new TuningController(
        this.clock, tuner, detector, initial, applyMain,
        (event) => this.sink.emit({ ...event, model }),
        { sloMs: base.sloMs, remeasureStart: slice !== false, ...controllerWindows, ...(trial ? { trial } : {}), onError: (error) => this.fail(model, error) },
      );
      if (earlier) restored.set(model, controller.restore(earlier));
      this.tuned.set(model, { controller, functions, mainFunction: base.functionName });
    }
    return restored;
  }

  /** The configuration the tuner of `model` has in force (undefined once it stopped). */
  config(model: string): TuningConfig | undefined {
    return this.tuned.get(model)?.controller.config;
  }

  // Arrivals and answers come once per request: the guard's protection inline, without a
  // closure per call (a measurable share of a simulated hour).
  onArrivals(model: string, count: number): void {
    const controller = this.tuned.get(model)?.controller;
    if (!controller) return;
    try {
      controller.recordArrivals(count);
    } catch (error) {
      this.fail(model, error);
    }
  }

  onAnswer(model: string, arrivalMs: number, latencyMs: number, answer: ItemSettlement, trial = false): void {
    // An item withdrawn because its client left was never served: neither a miss nor a latency.
    if (isItemError(answer) && answer.error.code === 'CLIENT_GONE') return;
    const controller = this.tuned.get(model)?.controller;
    if (!controller) return;
    try {
      controller.recordAnswer(arrivalMs, latencyMs, !isItemError(answer), trial);
    } catch (error) {
      this.fail(model, error);
    }
  }

  onInvocation(record: InvocationRecord): void {
    // A warm-up carries no request: what it costs belongs to the change of configuration,
    // not to the configuration's own cost per request (the controller is between windows
    // then anyway). Serving's reports count it.
    if (!record.billing) return;
    const billing = record.billing;
    const trial = this.tuned.get(record.model)?.mainFunction !== record.functionName;
    this.guard(record.model, (controller) => {
      if (record.warmup) controller.recordColdStart(billing.initDurationMs, billing.memoryMb);
      else controller.recordInvocation(billing.costUsd, record.batchSize, billing.billedDurationMs, billing.initDurationMs, billing.memoryMb, trial);
    });
  }

  stop(): void {
    for (const { controller } of this.tuned.values()) controller.stop();
    this.tuned.clear();
  }

  /**
   * Runs a controller step for serving, which calls in while it settles requests: an
   * error in tuning must not take serving (and every request in flight) down with it.
   * The model keeps serving with the configuration it has; its tuning stops, and says why.
   */
  private guard(model: string, step: (controller: TuningController) => void): void {
    const controller = this.tuned.get(model)?.controller;
    if (!controller) return;
    try {
      step(controller);
    } catch (error) {
      this.fail(model, error);
    }
  }

  private fail(model: string, error: unknown): void {
    const controller = this.tuned.get(model)?.controller;
    if (!controller) return;
    controller.stop();
    this.tuned.delete(model);
    const reason = `tuning stopped, serving on with the current configuration: ${(error as Error).stack ?? String(error)}`;
    this.sink.emit({ kind: 'stopped', atMs: this.clock.nowMs(), config: controller.config, reason, model });
  }
}

/** The one of a model's two functions not serving the configuration in force: the trial lane's. */
function otherFunction(tuned: Tuned): string {
  return tuned.mainFunction === tuned.functions[0] ? tuned.functions[1] : tuned.functions[0];
}
