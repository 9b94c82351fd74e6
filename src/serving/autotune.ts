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
}

export interface AutotuneModel {
  model: string;
  tuner: Tuner;
  detector: ChangePointDetector;
  /** Decisions of an earlier run (the tuning log), replayed so that a restart resumes. */
  earlier?: readonly TuningEvent[];
}

export type AutotuneWindows = Pick<ControllerOptions, 'minRequests' | 'minWindowMs' | 'maxWindowMs' | 'warmStart'>;

/**
 * Connects one TuningController per model to serving: as an observer it feeds arrivals,
 * answers and billed cost in; `apply` changes the configuration through the target (the
 * function's memory through the invoker); every decision goes to the sink, which the
 * tuning log, /metrics, the console and the simulator's timeline subscribe to.
 * Pure like the rest of src/serving/: the live gateway and the simulator run this object.
 */
export class Autotune implements ServingObserver {
  private readonly controllers = new Map<string, TuningController>();

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
    for (const { model, tuner, detector, earlier } of models) {
      const base = target.config(model);
      const initial: TuningConfig = { memoryMb: base.memoryMb, batchSize: base.batchSize, processes: base.processes };
      const controller = new TuningController(
        this.clock, tuner, detector, initial,
        (config, done) => target.applyConfig(model, { ...target.config(model), ...config }, done),
        (event) => this.sink.emit({ ...event, model }),
        { sloMs: base.sloMs, ...windows, onError: (error) => this.fail(model, error) },
      );
      if (earlier) restored.set(model, controller.restore(earlier));
      this.controllers.set(model, controller);
    }
    return restored;
  }

  /** The configuration the tuner of `model` has in force (undefined once it stopped). */
  config(model: string): TuningConfig | undefined {
    return this.controllers.get(model)?.config;
  }

  // Arrivals and answers come once per request: the guard's protection inline, without a
  // closure per call (a measurable share of a simulated hour).
  onArrivals(model: string, count: number): void {
    const controller = this.controllers.get(model);
    if (!controller) return;
    try {
      controller.recordArrivals(count);
    } catch (error) {
      this.fail(model, error);
    }
  }

  onAnswer(model: string, arrivalMs: number, latencyMs: number, answer: ItemSettlement): void {
    // An item withdrawn because its client left was never served: neither a miss nor a latency.
    if (isItemError(answer) && answer.error.code === 'CLIENT_GONE') return;
    const controller = this.controllers.get(model);
    if (!controller) return;
    try {
      controller.recordAnswer(arrivalMs, latencyMs, !isItemError(answer));
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
    this.guard(record.model, (controller) => {
      if (record.warmup) controller.recordColdStart(billing.initDurationMs, billing.memoryMb);
      else controller.recordInvocation(billing.costUsd, record.batchSize, billing.billedDurationMs, billing.initDurationMs, billing.memoryMb);
    });
  }

  stop(): void {
    for (const controller of this.controllers.values()) controller.stop();
    this.controllers.clear();
  }

  /**
   * Runs a controller step for serving, which calls in while it settles requests: an
   * error in tuning must not take serving (and every request in flight) down with it.
   * The model keeps serving with the configuration it has; its tuning stops, and says why.
   */
  private guard(model: string, step: (controller: TuningController) => void): void {
    const controller = this.controllers.get(model);
    if (!controller) return;
    try {
      step(controller);
    } catch (error) {
      this.fail(model, error);
    }
  }

  private fail(model: string, error: unknown): void {
    const controller = this.controllers.get(model);
    if (!controller) return;
    controller.stop();
    this.controllers.delete(model);
    const reason = `tuning stopped, serving on with the current configuration: ${(error as Error).stack ?? String(error)}`;
    this.sink.emit({ kind: 'stopped', atMs: this.clock.nowMs(), config: controller.config, reason, model });
  }
}
