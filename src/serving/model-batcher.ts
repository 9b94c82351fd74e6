import { decideBatch, type BatchingConfig } from '../core/batching-policy.js';
import type { Clock, TimerId } from '../core/clock.js';
import { FerryError } from '../core/errors.js';
import { lambdaLimits } from '../core/pricing.js';
import { ServiceTimeModel, type ServiceTimePrior } from '../core/service-time.js';
import type { Dispatcher } from './dispatcher.js';
import type { BatchReason, ServingObserver } from './events.js';
import type { ModelConfig } from './model-config.js';
import type { PendingItem } from './pending-item.js';

/** The batcher's first guess of service time for a configuration, before it measured any. */
export type ServiceTimePriorFor = (config: ModelConfig) => ServiceTimePrior;

/**
 * Without a profile: pessimistic, 150 ms fixed (a cold start is far worse, but rare) and
 * 25 ms per item spread over the processes.
 */
export const fallbackServiceTimePrior: ServiceTimePriorFor = (config) => ({ fixedMs: 150, perItemMs: 25 / config.processes });

/** Room left in an invocation payload for the event's own fields. */
const eventOverheadBytes = 4096;

/** The most payload bytes one item may add: a lone item larger than this can never be sent. */
export const maxItemPayloadBytes = lambdaLimits.maxPayloadBytes - eventOverheadBytes;

/**
 * One model's queue. It asks the pure batching policy what to do and carries it out:
 * dispatch now (when the dispatcher has a free slot), or set one timer for the moment the
 * policy named. A bounded queue: past `maxQueue` requests, admission is refused.
 */
export class ModelBatcher {
  private readonly queue: PendingItem[] = [];
  private timer: TimerId | undefined;
  private timerAtMs = 0;
  private readonly onTimer = () => {
    this.timer = undefined;
    this.schedule();
  };
  private policy: BatchingConfig;
  private draining = false;
  /** While above 0, the instances of a new configuration warming up, for which batches wait (see hold). */
  private held = 0;
  /** Batches of this model the dispatcher is running (retries included). */
  private running = 0;
  readonly serviceTime: ServiceTimeModel;
  private readonly batchDone = () => {
    this.running--;
  };

  constructor(
    readonly model: string,
    private config: ModelConfig,
    private readonly dispatcher: Dispatcher,
    private readonly clock: Clock,
    private readonly maxQueue: number,
    private readonly observer: ServingObserver = {},
    private readonly priorFor: ServiceTimePriorFor = fallbackServiceTimePrior,
  ) {
    this.serviceTime = new ServiceTimeModel(priorFor(config));
    this.policy = this.policyFor(config);
    dispatcher.onCapacity(() => this.schedule());
  }

  get depth(): number {
    return this.queue.length;
  }

  get currentConfig(): ModelConfig {
    return this.config;
  }

  /**
   * Holds the queue while `warmInstances` instances of a new configuration warm up:
   * requests are still admitted, and up to one full batch per warming instance waits for
   * them instead of starting a cold instance of its own (measured in the simulator: 86 of
   * 92 cold starts of a tuned hour came within 10 s of a switch, each billed a full INIT,
   * 70% of the bill at 2.5 req/s). Batches beyond those go at once, as before: keeping a
   * deeper backlog for the warmed instances was cheaper still, and missed the SLO more
   * often (requests arriving behind it waited too; docs/tuning.md).
   */
  hold(warmInstances: number): void {
    this.held = Math.max(1, warmInstances);
  }

  /** Ends a hold: the batches that waited go to the instances just warmed. */
  release(): void {
    this.held = 0;
    this.schedule();
  }

  /** Applies a new configuration from the next batch on. */
  setConfig(config: ModelConfig): void {
    const changed = config.processes !== this.config.processes || config.memoryMb !== this.config.memoryMb ||
      config.threadsPerProcess !== this.config.threadsPerProcess;
    this.config = config;
    this.policy = this.policyFor(config);
    // What was measured belongs to the old configuration; the prior for the new one
    // (from the model's profile, where there is one) stands until the new one is measured.
    if (changed) this.serviceTime.reset(this.priorFor(config));
    this.schedule();
  }

  /**
   * Queues items (all or none). Throws QUEUE_FULL when they do not fit now, and a client
   * error when they never could: more items than the queue holds (INVALID_REQUEST), or an
   * item larger than one invocation's payload (ITEM_TOO_LARGE). Retrying either is futile.
   */
  submit(items: PendingItem[]): void {
    if (this.draining) throw new FerryError('SHUTTING_DOWN', 'The gateway is shutting down');
    if (items.length > this.maxQueue) {
      throw new FerryError('INVALID_REQUEST', `Expected at most ${this.maxQueue} items in one request (the queue of ${this.model} holds ${this.maxQueue} items), got ${items.length}`);
    }
    for (const item of items) {
      if (item.payloadBytes > maxItemPayloadBytes) {
        throw new FerryError('ITEM_TOO_LARGE', `Expected each item to add at most ${maxItemPayloadBytes} bytes to an invocation's payload, got ${item.payloadBytes}`);
      }
    }
    if (this.queue.length + items.length > this.maxQueue) {
      throw new FerryError('QUEUE_FULL', `The queue of ${this.model} holds ${this.queue.length} of ${this.maxQueue} request items`);
    }
    this.queue.push(...items);
    this.schedule();
  }

  /**
   * Takes the items of a request whose client went away out of the queue, if they are
   * still there, and settles them CLIENT_GONE; returns how many. An item already sent runs
   * to its end (its answer is then dropped): one invocation is not cut short for one client.
   */
  withdraw(items: readonly PendingItem[]): number {
    let withdrawn = 0;
    for (const item of items) {
      const at = item.isSettled ? -1 : this.queue.indexOf(item);
      if (at < 0) continue;
      this.queue.splice(at, 1);
      item.settle({ error: { code: 'CLIENT_GONE', message: 'The client closed its connection before its item was sent to a function' } });
      withdrawn++;
    }
    if (withdrawn > 0) this.schedule();
    return withdrawn;
  }

  /** A guess of how long the queue takes to clear, for Retry-After. */
  estimatedDrainMs(): number {
    const batches = Math.ceil(this.queue.length / this.config.batchSize);
    return batches * this.serviceTime.predictMs(this.config.batchSize);
  }

  /** Sends everything still queued without waiting for deadlines, then waits for all of it. */
  async drain(): Promise<void> {
    this.draining = true;
    this.schedule();
    while (this.queue.length > 0 || this.running > 0) {
      // Every batch that ends frees a slot, ours (counted down before the slot is offered)
      // or another model's (which may have held them all): either is a reason to look again.
      let stopListening: () => unknown = () => undefined;
      await new Promise<void>((resolve) => (stopListening = this.dispatcher.onCapacity(() => resolve())));
      stopListening();
      this.schedule();
    }
  }

  /** Whether the queue may send now: no hold, or more full batches queued than instances warming. */
  private get beyondHold(): boolean {
    return this.held === 0 || this.draining || this.queue.length > this.held * this.config.batchSize;
  }

  private schedule(): void {
    while (this.queue.length > 0 && this.dispatcher.hasCapacity && this.beyondHold) {
      const now = this.clock.nowMs();
      const decision = decideBatch(this.queue, now, this.policy, (n) => this.serviceTime.predictMs(n, this.policy.sloMs));
      if (decision.action === 'idle') break;
      if (decision.action === 'wait' && !this.draining) {
        // One timer for the earliest moment asked for: a later arrival moves the deadline
        // only earlier (a bigger batch is predicted to take longer), so a timer already
        // due by then stays (were it early, the policy just says wait again).
        if (this.timer === undefined || this.timerAtMs > decision.untilMs) {
          if (this.timer !== undefined) this.clock.cancel(this.timer);
          this.timerAtMs = decision.untilMs;
          this.timer = this.clock.setTimer(decision.untilMs - now, this.onTimer);
        }
        return;
      }
      const count = decision.action === 'dispatch' ? decision.count : Math.min(this.queue.length, this.config.batchSize);
      const reason: BatchReason = decision.action === 'dispatch' ? decision.reason : 'drain';
      this.send(this.queue.splice(0, count), reason, now);
    }
    if (this.queue.length === 0 && this.timer !== undefined) {
      this.clock.cancel(this.timer);
      this.timer = undefined;
    }
  }

  private send(batch: PendingItem[], reason: BatchReason, nowMs: number): void {
    this.observer.onBatch?.(this.model, batch.length, reason, nowMs - batch[0]!.arrivalMs, nowMs);
    this.running++;
    this.dispatcher.dispatch(this.model, batch, this.config, this.batchDone);
  }

  private policyFor(config: ModelConfig): BatchingConfig {
    return {
      batchSize: config.batchSize, sloMs: config.sloMs, maxPayloadBytes: lambdaLimits.maxPayloadBytes - eventOverheadBytes,
      ...(config.maxWaitMs === undefined ? {} : { maxWaitMs: config.maxWaitMs }),
    };
  }
}
