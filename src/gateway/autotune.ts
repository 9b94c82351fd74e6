import type { Clock } from '../core/clock.js';
import type { ChangePointDetector } from '../core/change-point/detector.js';
import { TuningController, type ControllerOptions, type Tuner, type TuningEvent } from '../core/tuning-controller.js';
import type { Gateway, GatewayObserver } from './gateway.js';
import type { ModelConfig } from './model-config.js';
import { TuningLog, type LoggedTuningEvent } from './tuning-log.js';

export interface AutotuneModel {
  model: string;
  tuner: Tuner;
  detector: ChangePointDetector;
}

/**
 * Connects one TuningController per model to a live gateway: the gateway's observer feeds
 * arrivals, answers and billed cost in; `apply` changes the gateway's config (and the
 * function's memory through the invoker); every event is logged, counted in /metrics and
 * appended to the tuning log, from which a restart resumes.
 */
export class Autotune implements GatewayObserver {
  private readonly controllers = new Map<string, TuningController>();
  private log?: TuningLog;

  constructor(private readonly print: (line: string) => void) {}

  /** Starts tuning; call after the gateway exists (it was given this object as its observer). */
  start(gateway: Gateway, clock: Clock, models: AutotuneModel[], logFile?: string, windows: Pick<ControllerOptions, 'minRequests' | 'minWindowMs'> = {}): void {
    if (logFile) this.log = new TuningLog(logFile);
    for (const { model, tuner, detector } of models) {
      const base: ModelConfig = gateway.config(model);
      const controller = new TuningController(
        clock, tuner, detector,
        { memoryMb: base.memoryMb, batchSize: base.batchSize, processes: base.processes },
        (config) => gateway.applyConfig(model, { ...gateway.config(model), ...config }),
        (event) => this.record(gateway, model, event),
        { sloMs: base.sloMs, ...windows, onError: (error) => this.fail(model, error) },
      );
      if (logFile) {
        const earlier = TuningLog.read(logFile, model);
        controller.restore(earlier);
        const evaluations = earlier.filter((e) => e.kind === 'evaluated').length;
        if (evaluations > 0) this.print(`ferry tune ${model}: resumed from ${evaluations} earlier evaluations in ${logFile}`);
      }
      this.controllers.set(model, controller);
    }
  }

  onArrivals(model: string, count: number): void {
    this.guard(model, (controller) => controller.recordArrivals(count));
  }

  onAnswer(model: string, arrivalMs: number, latencyMs: number, ok: boolean): void {
    this.guard(model, (controller) => controller.recordAnswer(arrivalMs, latencyMs, ok));
  }

  onInvocation(model: string, costUsd: number, batchSize: number): void {
    this.guard(model, (controller) => controller.recordInvocation(costUsd, batchSize));
  }

  /**
   * Runs a controller step for the gateway, which calls in while it settles requests: an
   * error in tuning must not take the gateway (and every request in flight) down with it.
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
    this.controllers.get(model)?.stop();
    this.controllers.delete(model);
    this.print(`ferry tune ${model}: tuning stopped, serving on with the current configuration: ${(error as Error).stack ?? String(error)}`);
  }

  async stop(): Promise<void> {
    for (const controller of this.controllers.values()) controller.stop();
    await this.log?.close();
  }

  private record(gateway: Gateway, model: string, event: TuningEvent): void {
    const logged: LoggedTuningEvent = { ...event, model };
    this.log?.append(logged);
    gateway.metrics.tuningEvents.inc({ model, kind: event.kind });
    if (event.kind === 'evaluated') {
      gateway.metrics.tuningCostPerRequest.set({ model }, event.evaluation.costUsdPerRequest);
      gateway.metrics.tuningP99Seconds.set({ model }, event.evaluation.p99Ms / 1000);
    }
    this.print(`ferry tune ${model}: ${describe(event)}`);
  }
}

function describe(event: TuningEvent): string {
  const config = (c: { memoryMb: number; batchSize: number; processes: number }) => `${c.memoryMb} MB, batch ${c.batchSize}, ${c.processes} process(es)`;
  switch (event.kind) {
    case 'evaluated':
      return `measured ${config(event.config)} at ${event.context.arrivalRatePerS.toFixed(1)} req/s over ${event.requests} requests: ` +
        `$${(event.evaluation.costUsdPerRequest * 1000).toFixed(5)} per 1,000 requests, p99 ${event.evaluation.p99Ms.toFixed(0)} ms, ` +
        `${(event.sloAttainment * 100).toFixed(1)}% within the SLO` +
        (event.evaluation.meanBatchSize === undefined ? '' : `, mean batch ${event.evaluation.meanBatchSize.toFixed(1)}`);
    case 'applied':
      return `applied ${config(event.config)}: ${event.reason}`;
    case 'change-point':
      return event.reason;
  }
}
