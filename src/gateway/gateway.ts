import type { Clock } from '../core/clock.js';
import { FerryError } from '../core/errors.js';
import { isItemError, type EventInput } from '../core/function-event.js';
import type { FunctionInvoker } from '../core/invoker.js';
import { Dispatcher, type DispatcherOptions, type InvocationReport } from './dispatcher.js';
import { GatewayMetrics } from './metrics.js';
import { ModelBatcher } from './model-batcher.js';
import type { ModelConfig } from './model-config.js';
import { PendingItem, PendingRequest, type ItemSettlement } from './pending-item.js';

export interface GatewayOptions {
  invoker: FunctionInvoker;
  clock: Clock;
  models: Record<string, ModelConfig>;
  dispatcher: DispatcherOptions;
  /** Requests waiting per model before admission answers 503. @default 1024 */
  maxQueue?: number;
  metrics?: GatewayMetrics;
  /** Sees every arrival, answer and billed invocation (the tuner listens here). */
  observer?: GatewayObserver;
}

export interface GatewayObserver {
  onArrivals(model: string, count: number): void;
  onAnswer(model: string, arrivalMs: number, latencyMs: number, ok: boolean): void;
  /** One billed invocation of a batch of `batchSize` requests. */
  onInvocation(model: string, costUsd: number, batchSize: number): void;
}

/**
 * Everything between admission and answer, without HTTP: per-model batchers over one
 * dispatcher and one invoker. The HTTP server and the simulator both drive this object.
 */
export class Gateway {
  readonly metrics: GatewayMetrics;
  private readonly batchers = new Map<string, ModelBatcher>();
  private readonly dispatcher: Dispatcher;
  private accepting = true;
  /** Tells the observer (the tuner) of every answer; none without one. */
  private readonly onItemSettled: ((request: PendingRequest, answer: ItemSettlement) => void) | undefined;

  constructor(private readonly options: GatewayOptions) {
    this.metrics = options.metrics ?? new GatewayMetrics();
    const observer = options.observer;
    this.onItemSettled = observer && ((request, answer) => {
      observer.onAnswer(request.model, request.arrivalMs, options.clock.nowMs() - request.arrivalMs, !isItemError(answer));
    });
    this.dispatcher = new Dispatcher(options.invoker, options.clock, options.dispatcher, (report) => this.onInvocation(report));
    for (const [model, config] of Object.entries(options.models)) {
      const meter = this.metrics.model(model);
      const batcher = new ModelBatcher(model, config, this.dispatcher, options.clock, options.maxQueue ?? 1024, {
        onBatch: (_name, size, reason, oldestWaitMs) => meter.recordBatch(size, reason, oldestWaitMs),
      });
      this.batchers.set(model, batcher);
      this.metrics.setConfig(model, config);
    }
    const batchers = this.batchers;
    const dispatcher = this.dispatcher;
    this.metrics.watch({
      get invocationsInFlight() {
        return dispatcher.invocationsInFlight;
      },
      *queueDepths() {
        for (const [model, batcher] of batchers) yield [model, batcher.depth];
      },
    });
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  models(): string[] {
    return [...this.batchers.keys()];
  }

  config(model: string): ModelConfig {
    return this.batcher(model).currentConfig;
  }

  queueDepth(model: string): number {
    return this.batcher(model).depth;
  }

  /** Seconds a client refused with QUEUE_FULL should wait. */
  retryAfterS(model: string): number {
    return Math.max(1, Math.ceil(this.batcher(model).estimatedDrainMs() / 1000));
  }

  /**
   * Accepts single-item requests for `model` and resolves with one settlement per input,
   * in order. All are queued or none (QUEUE_FULL, SHUTTING_DOWN, UNKNOWN_MODEL throw).
   */
  infer(model: string, inputs: Array<{ input: EventInput; payloadBytes: number }>): Promise<ItemSettlement[]> {
    if (!this.accepting) throw new FerryError('SHUTTING_DOWN', 'The gateway is shutting down');
    const batcher = this.batcher(model);
    const request = new PendingRequest(model, this.options.clock.nowMs(), inputs.length, this.onItemSettled);
    const items = new Array<PendingItem>(inputs.length);
    for (let i = 0; i < inputs.length; i++) items[i] = new PendingItem(inputs[i]!.input, inputs[i]!.payloadBytes, request, i);
    batcher.submit(items);
    this.options.observer?.onArrivals(model, items.length);
    return request.done;
  }

  /**
   * Starts `instances` function instances for a model at once (empty batches load the model
   * and start the workers), so that the first burst of traffic meets warm instances rather
   * than cold starts. Their billing counts in /metrics like any invocation's.
   */
  async warmUp(model: string, instances: number): Promise<void> {
    const config = this.batcher(model).currentConfig;
    const event = { model, inputs: [], processes: config.processes, threadsPerProcess: config.threadsPerProcess };
    const outcomes = await Promise.all(Array.from({ length: instances }, () => this.options.invoker.invoke(config.functionName, event)));
    for (const outcome of outcomes) this.metrics.model(model).recordInvocation(outcome.ok ? 'ok' : outcome.error.kind, outcome.billing);
    const failed = outcomes.find((outcome) => !outcome.ok);
    if (failed && !failed.ok) {
      throw new FerryError('WORKER_START_FAILED', `Could not start ${model}: ${failed.error.errorType}: ${failed.error.message}`);
    }
  }

  /**
   * Applies a configuration: memory through the invoker, batch size and processes from the
   * next batch. When memory or processes change, the instances are warmed up again, so that
   * what gets measured next is the configuration, not its cold starts.
   */
  async applyConfig(model: string, config: ModelConfig): Promise<void> {
    const batcher = this.batcher(model);
    const before = batcher.currentConfig;
    if (config.memoryMb !== before.memoryMb) await this.options.invoker.setMemoryMb(config.functionName, config.memoryMb);
    batcher.setConfig(config);
    this.metrics.setConfig(model, config);
    if (config.memoryMb !== before.memoryMb || config.processes !== before.processes || config.threadsPerProcess !== before.threadsPerProcess) {
      await this.warmUp(model, this.options.dispatcher.maxInFlight ?? 4).catch(() => undefined);
    }
  }

  /** Stops accepting, sends everything queued, and waits until every request is answered. */
  async drain(): Promise<void> {
    this.accepting = false;
    await Promise.all([...this.batchers.values()].map((batcher) => batcher.drain()));
  }

  private batcher(model: string): ModelBatcher {
    const batcher = this.batchers.get(model);
    if (!batcher) throw new FerryError('UNKNOWN_MODEL', `Expected model to be one of ${this.models().join(', ')}, got "${model}"`);
    return batcher;
  }

  private onInvocation(report: InvocationReport): void {
    const { outcome, model } = report;
    this.metrics.model(model).recordInvocation(outcome.ok ? 'ok' : outcome.error.kind, outcome.billing);
    if (outcome.billing) this.options.observer?.onInvocation(model, outcome.billing.costUsd, report.batchSize);
    // A cold start is an outlier the batcher cannot plan around; it would only inflate the
    // predicted service time of every later batch.
    const cold = outcome.billing?.initDurationMs !== undefined;
    if (outcome.ok && !cold) this.batchers.get(model)?.serviceTime.observe(report.batchSize, report.serviceMs);
  }
}
