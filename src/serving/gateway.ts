import type { Clock } from '../core/clock.js';
import { FerryError } from '../core/errors.js';
import type { EventInput } from '../core/function-event.js';
import type { FunctionInvoker } from '../core/invoker.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher.js';
import type { InvocationRecord, ServingObserver } from './events.js';
import { ModelBatcher, type ServiceTimePriorFor } from './model-batcher.js';
import type { ModelConfig } from './model-config.js';
import { PendingItem, PendingRequest, type ItemSettlement } from './pending-item.js';

export interface GatewayOptions {
  invoker: FunctionInvoker;
  clock: Clock;
  models: Record<string, ModelConfig>;
  dispatcher: DispatcherOptions;
  /** Request items waiting per model before admission answers 503. @default 1024 */
  maxQueue?: number;
  /** Sees every arrival, batch, invocation (warm-ups included), answer and configuration. */
  observer?: ServingObserver;
  /** Instances warmed after a change of configuration, at most. @default dispatcher.maxInFlight */
  maxWarmInstances?: number;
  /** The batcher's first guess of a configuration's service time (from the model's profile). @default fallbackServiceTimePrior */
  serviceTimePrior?: (model: string) => ServiceTimePriorFor | undefined;
}

/**
 * A model's trial lane: a configuration on a slice of the traffic, served by a function of
 * its own (its memory is the function's), with its own queue and batches.
 */
interface TrialLane {
  batcher: ModelBatcher;
  /** Share of the model's requests routed here (0: none; the queue still drains). */
  share: number;
  /** Routing is counted, not drawn: the share accrues per request, and each whole one sends a request here. */
  credit: number;
}

/** One admitted item: its input and the bytes it adds to an invocation's payload. */
export interface AdmittedInput {
  input: EventInput;
  payloadBytes: number;
}

/**
 * Everything between admission and answer, without HTTP and without a wall clock:
 * per-model batchers over one dispatcher and one invoker. The HTTP server drives it live,
 * the simulator on a virtual clock; both see the same observer calls.
 */
export class Gateway {
  private readonly batchers = new Map<string, ModelBatcher>();
  private readonly trials = new Map<string, TrialLane>();
  /** The memory each function was last given (so a lane moving to a function already at that size restarts nothing). */
  private readonly memoryMbOf = new Map<string, number>();
  private readonly dispatcher: Dispatcher;
  private readonly observer: ServingObserver;
  private accepting = true;
  private readonly onItemSettled: ((request: PendingRequest, answer: ItemSettlement) => void) | undefined;

  constructor(private readonly options: GatewayOptions) {
    const observer = (this.observer = options.observer ?? {});
    const onAnswer = observer.onAnswer?.bind(observer);
    this.onItemSettled = onAnswer && ((request, answer) => {
      onAnswer(request.model, request.arrivalMs, options.clock.nowMs() - request.arrivalMs, answer, request.trial);
    });
    this.dispatcher = new Dispatcher(options.invoker, options.clock, options.dispatcher, (record) => this.onInvocation(record));
    for (const [model, config] of Object.entries(options.models)) {
      this.batchers.set(model, this.newBatcher(model, config));
      this.memoryMbOf.set(config.functionName, config.memoryMb);
      observer.onConfig?.(model, config, options.clock.nowMs());
    }
  }

  /** The configuration on the model's trial lane, while one takes a share of its traffic. */
  trialConfig(model: string): ModelConfig | undefined {
    const lane = this.trials.get(model);
    return lane && lane.share > 0 ? lane.batcher.currentConfig : undefined;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  get invocationsInFlight(): number {
    return this.dispatcher.invocationsInFlight;
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

  /** Request items one model's queue holds (`--max-queue`): a request with more can never be admitted. */
  get maxQueueItems(): number {
    return this.options.maxQueue ?? 1024;
  }

  /** Seconds a client refused with QUEUE_FULL should wait. */
  retryAfterS(model: string): number {
    return Math.max(1, Math.ceil(this.batcher(model).estimatedDrainMs() / 1000));
  }

  /**
   * Accepts single-item requests for `model` and calls `done` once with one settlement
   * per input, in order (at once for no inputs). All are queued or none: QUEUE_FULL,
   * SHUTTING_DOWN, UNKNOWN_MODEL and the never-fits errors of ModelBatcher.submit throw,
   * and `done` is then never called. Returns `withdraw`, for when the client goes away:
   * the items not yet sent are answered CLIENT_GONE at once and never invoked.
   */
  submit(model: string, inputs: readonly AdmittedInput[], done: (answers: ItemSettlement[]) => void): () => number {
    if (!this.accepting) throw new FerryError('SHUTTING_DOWN', 'The gateway is shutting down');
    const main = this.batcher(model);
    const lane = this.trials.get(model);
    const trial = lane !== undefined && lane.share > 0 && takeTurn(lane);
    const batcher = trial ? lane.batcher : main;
    const nowMs = this.options.clock.nowMs();
    const request = new PendingRequest(model, nowMs, inputs.length, done, this.onItemSettled, trial);
    if (inputs.length === 0) {
      done(request.answers);
      return () => 0;
    }
    const items = new Array<PendingItem>(inputs.length);
    for (let i = 0; i < inputs.length; i++) items[i] = new PendingItem(inputs[i]!.input, inputs[i]!.payloadBytes, request, i);
    batcher.submit(items);
    this.observer.onArrivals?.(model, items.length, nowMs);
    return () => batcher.withdraw(items);
  }

  /** `submit` as a promise (the HTTP server's form). */
  infer(model: string, inputs: readonly AdmittedInput[]): Promise<ItemSettlement[]> {
    let resolve!: (answers: ItemSettlement[]) => void;
    const answered = new Promise<ItemSettlement[]>((r) => (resolve = r));
    this.submit(model, inputs, resolve);
    return answered;
  }

  /**
   * Starts `instances` function instances of a model at once (empty invocations load the
   * model and start the workers), so that traffic meets warm instances rather than cold
   * starts. They go through the dispatcher like traffic: they hold invocation slots, and
   * their billing reaches every observer, flagged as warm-up. `done` gets the first
   * failure, if any.
   */
  warmUp(model: string, instances: number, done: (error?: FerryError) => void): void {
    this.warmUpConfig(model, this.batcher(model).currentConfig, instances, done);
  }

  private warmUpConfig(model: string, config: ModelConfig, instances: number, done: (error?: FerryError) => void): void {
    let remaining = instances;
    let failure: FerryError | undefined;
    if (remaining <= 0) return done();
    for (let i = 0; i < instances; i++) {
      this.dispatcher.warmUp(model, config, (outcome) => {
        if (!outcome.ok && !failure) {
          failure = new FerryError('WORKER_START_FAILED', `Could not start ${model}: ${outcome.error.errorType}: ${outcome.error.message}`);
        }
        if (--remaining === 0) done(failure);
      });
    }
  }

  /** `warmUp` as a promise that rejects on a failure. */
  warmUpAsync(model: string, instances: number): Promise<void> {
    return new Promise((resolve, reject) => this.warmUp(model, instances, (error) => (error ? reject(error) : resolve())));
  }

  /**
   * Applies a configuration: memory through the invoker, batch size and processes from
   * the next batch. When memory or processes change, as many instances as traffic keeps
   * busy (Dispatcher.takeInstancesToWarm) are warmed up again, with the model's queue held
   * meanwhile (ModelBatcher.hold), so that what gets measured next is the configuration,
   * not its cold starts, and traffic does not start cold instances beside the warm-ups.
   * `done` is called once it is in force (at once on a platform that applies memory at
   * once, such as the simulator's).
   */
  applyConfig(model: string, config: ModelConfig, done: (error?: Error) => void): void {
    const batcher = this.batcher(model);
    const before = batcher.currentConfig;
    const restart = restarts(before, config);
    const inForce = () => {
      if (!restart) {
        this.setConfig(model, batcher, config);
        return done();
      }
      // Traffic waits for the warm-ups: sent now, each batch would find every new instance
      // still in its INIT and start (and pay for) one more.
      const instances = Math.min(this.dispatcher.takeInstancesToWarm(), this.options.maxWarmInstances ?? this.options.dispatcher.maxInFlight ?? 4);
      batcher.hold(instances);
      this.setConfig(model, batcher, config);
      this.warmUp(model, instances, () => {
        batcher.release();
        done();
      });
    };
    this.setMemoryMb(config, inForce, done);
  }

  /**
   * Puts `config` on the model's trial lane and routes `share` of its requests there (the
   * rest stay with the configuration in force), or, without a config, routes none there
   * (what is queued on the lane still goes out). The lane's function must not be the one
   * in force: its memory is the trial's. Instances are warmed first, as many as the slice
   * keeps busy, with the lane's queue held meanwhile, as in applyConfig.
   */
  applyTrial(model: string, config: ModelConfig | undefined, share: number, done: (error?: Error) => void): void {
    const main = this.batcher(model);
    const existing = this.trials.get(model);
    if (!config) {
      if (existing) existing.share = 0;
      return done();
    }
    if (!(share > 0 && share < 1)) throw new FerryError('INVALID_ARGUMENT', `Expected a trial share between 0 and 1, got ${share}`);
    if (config.functionName === main.currentConfig.functionName) {
      throw new FerryError('INVALID_ARGUMENT', `Expected a trial lane on a function other than the one in force ("${config.functionName}")`);
    }
    const inForce = () => {
      const lane = existing ?? { batcher: this.newBatcher(model, config), share: 0, credit: 0 };
      this.trials.set(model, lane);
      const restart = !existing || restarts(existing.batcher.currentConfig, config);
      lane.batcher.setConfig(config);
      lane.share = share;
      if (!restart) return done();
      const instances = Math.max(1, Math.ceil(share * this.dispatcher.busyInstances()));
      lane.batcher.hold(instances);
      this.warmUpConfig(model, config, instances, () => {
        lane.batcher.release();
        done();
      });
    };
    this.setMemoryMb(config, inForce, done);
  }

  /** Stops accepting, sends everything queued, and waits until every request is answered. */
  async drain(): Promise<void> {
    this.accepting = false;
    const lanes = [...this.batchers.values(), ...[...this.trials.values()].map((lane) => lane.batcher)];
    await Promise.all(lanes.map((batcher) => batcher.drain()));
  }

  private newBatcher(model: string, config: ModelConfig): ModelBatcher {
    const prior = this.options.serviceTimePrior?.(model);
    return new ModelBatcher(model, config, this.dispatcher, this.options.clock, this.options.maxQueue ?? 1024, this.observer, ...(prior ? [prior] : []));
  }

  /** Gives the config's function its memory (unless it has it already), then `then`; `failed` on an error. */
  private setMemoryMb(config: ModelConfig, then: () => void, failed: (error: Error) => void): void {
    if (this.memoryMbOf.get(config.functionName) === config.memoryMb) return then();
    this.options.invoker.setMemoryMb(config.functionName, config.memoryMb, (error) => {
      if (error) return failed(error);
      this.memoryMbOf.set(config.functionName, config.memoryMb);
      then();
    });
  }

  private setConfig(model: string, batcher: ModelBatcher, config: ModelConfig): void {
    batcher.setConfig(config);
    this.observer.onConfig?.(model, config, this.options.clock.nowMs());
  }

  private batcher(model: string): ModelBatcher {
    const batcher = this.batchers.get(model);
    if (!batcher) throw new FerryError('UNKNOWN_MODEL', `Expected model to be one of ${this.models().join(', ')}, got "${model}"`);
    return batcher;
  }

  private onInvocation(record: InvocationRecord): void {
    this.observer.onInvocation?.(record);
    // A cold start is an outlier the batcher cannot plan around; it would only inflate the
    // predicted service time of every later batch. A warm-up carries no items to learn from.
    const cold = record.billing?.initDurationMs !== undefined;
    if (record.outcome !== 'ok' || cold || record.warmup) return;
    const main = this.batchers.get(record.model);
    const batcher = main?.currentConfig.functionName === record.functionName ? main : this.trials.get(record.model)?.batcher;
    if (batcher?.currentConfig.functionName === record.functionName) batcher.serviceTime.observe(record.batchSize, record.serviceMs);
  }
}

/**
 * Whether moving from one configuration to another needs instances warmed: new memory, a
 * new process or thread count, or another function (a trial lane's, taken over).
 */
function restarts(before: ModelConfig, after: ModelConfig): boolean {
  return after.functionName !== before.functionName || after.memoryMb !== before.memoryMb ||
    after.processes !== before.processes || after.threadsPerProcess !== before.threadsPerProcess;
}

/** Whether a lane gets the next request: its share accrues per request, and a whole one sends one. */
function takeTurn(lane: TrialLane): boolean {
  lane.credit += lane.share;
  if (lane.credit < 1) return false;
  lane.credit -= 1;
  return true;
}
