import { decideBatch } from '../core/batching-policy.js';
import type { Clock, TimerId } from '../core/clock.js';
import { FerryError } from '../core/errors.js';
import { lambdaLimits } from '../core/pricing.js';
import { ServiceTimeModel } from '../core/service-time.js';
import type { Dispatcher } from './dispatcher.js';
import type { ModelConfig } from './model-config.js';
import type { PendingItem } from './pending-item.js';

export interface BatcherEvents {
  /** A batch left the queue: its size, why, and how long its oldest item waited. */
  onBatch?(model: string, size: number, reason: string, oldestWaitMs: number): void;
}

/** Room left in an invocation payload for the event's own fields. */
const eventOverheadBytes = 4096;

/**
 * One model's queue. It asks the pure batching policy what to do and carries it out:
 * dispatch now (when the dispatcher has a free slot), or set one timer for the moment the
 * policy named. A bounded queue: past `maxQueue` requests, admission is refused.
 */
export class ModelBatcher {
  private readonly queue: PendingItem[] = [];
  private timer: TimerId | undefined;
  private draining = false;
  private readonly running = new Set<Promise<void>>();
  readonly serviceTime: ServiceTimeModel;

  constructor(
    readonly model: string,
    private config: ModelConfig,
    private readonly dispatcher: Dispatcher,
    private readonly clock: Clock,
    private readonly maxQueue: number,
    private readonly events: BatcherEvents = {},
  ) {
    // Pessimistic until measured: 150 ms fixed (a cold start is far worse, but rare) and
    // 25 ms per item spread over the processes.
    this.serviceTime = new ServiceTimeModel({ fixedMs: 150, perItemMs: 25 / config.processes });
    dispatcher.onCapacity(() => this.schedule());
  }

  get depth(): number {
    return this.queue.length;
  }

  get currentConfig(): ModelConfig {
    return this.config;
  }

  /** Applies a new configuration from the next batch on. */
  setConfig(config: ModelConfig): void {
    const changed = config.processes !== this.config.processes || config.memoryMb !== this.config.memoryMb ||
      config.threadsPerProcess !== this.config.threadsPerProcess;
    this.config = config;
    if (changed) this.serviceTime.reset();
    this.schedule();
  }

  /** Queues items (all or none). Throws QUEUE_FULL when they do not fit. */
  submit(items: PendingItem[]): void {
    if (this.draining) throw new FerryError('SHUTTING_DOWN', 'The gateway is shutting down');
    if (this.queue.length + items.length > this.maxQueue) {
      throw new FerryError('QUEUE_FULL', `The queue of ${this.model} holds ${this.queue.length} of ${this.maxQueue} requests`);
    }
    this.queue.push(...items);
    this.schedule();
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
    while (this.queue.length > 0 || this.running.size > 0) {
      // Wake when one of ours finishes, or when any invocation frees a slot (another
      // model's batches may hold them all).
      let stopListening: () => unknown = () => undefined;
      const slotFreed = new Promise<void>((resolve) => (stopListening = this.dispatcher.onCapacity(() => resolve())));
      await Promise.race([...this.running, slotFreed]);
      stopListening();
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.timer !== undefined) {
      this.clock.cancel(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.dispatcher.hasCapacity) {
      const now = this.clock.nowMs();
      const decision = decideBatch(this.queue, now, this.policyConfig(), (n) => this.serviceTime.predictMs(n));
      if (decision.action === 'idle') return;
      if (decision.action === 'wait' && !this.draining) {
        this.timer = this.clock.setTimer(decision.untilMs - now, () => {
          this.timer = undefined;
          this.schedule();
        });
        return;
      }
      const count = decision.action === 'dispatch' ? decision.count : Math.min(this.queue.length, this.config.batchSize);
      const reason = decision.action === 'dispatch' ? decision.reason : 'drain';
      this.send(this.queue.splice(0, count), reason, now);
    }
  }

  private send(batch: PendingItem[], reason: string, nowMs: number): void {
    this.events.onBatch?.(this.model, batch.length, reason, nowMs - batch[0]!.arrivalMs);
    const run = this.dispatcher.dispatch(this.model, batch, this.config).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  private policyConfig() {
    return { batchSize: this.config.batchSize, sloMs: this.config.sloMs, maxPayloadBytes: lambdaLimits.maxPayloadBytes - eventOverheadBytes };
  }
}
