import type { Clock } from '../core/clock.js';
import type { ErrorCode } from '../core/errors.js';
import { isItemError, type FunctionEvent } from '../core/function-event.js';
import { isRetryable, type InvokeOutcome, type FunctionInvoker } from '../core/invoker.js';
import type { ModelConfig } from './model-config.js';
import type { PendingItem } from './pending-item.js';

export interface DispatcherOptions {
  /** Invocations running at once, across models. @default 4 */
  maxInFlight?: number;
  /** An invocation not answered by then fails its items with INVOCATION_TIMEOUT. @default 30000 */
  invocationTimeoutMs?: number;
  /** Tries per item, the first included. @default 3 */
  maxAttempts?: number;
  /** Backoff before retry k is uniform in [0, min(cap, base * 2^k)] ("full jitter"). @default 25 */
  backoffBaseMs?: number;
  /** @default 1000 */
  backoffCapMs?: number;
  /** Uniform [0, 1) source for jitter (seeded in the simulator). */
  random: () => number;
}

/** What one invocation did, for metrics and the service-time model. */
export interface InvocationReport {
  model: string;
  batchSize: number;
  serviceMs: number;
  outcome: InvokeOutcome | { ok: false; error: { kind: 'timeout'; errorType: string; message: string }; billing?: undefined };
}

/**
 * Sends batches to the platform with a bound on invocations in flight, a timeout per
 * invocation, and retries with backoff and jitter on throttling and crashes (inference is
 * idempotent). Every item it is given is settled exactly once.
 */
export class Dispatcher {
  private inFlight = 0;
  private readonly capacityListeners = new Set<() => void>();
  /** Where the next freed slot starts offering itself, so no model always comes first. */
  private nextListener = 0;

  constructor(
    private readonly invoker: FunctionInvoker,
    private readonly clock: Clock,
    private readonly options: DispatcherOptions,
    private readonly onReport: (report: InvocationReport) => void = () => undefined,
  ) {}

  get hasCapacity(): boolean {
    return this.inFlight < (this.options.maxInFlight ?? 4);
  }

  get invocationsInFlight(): number {
    return this.inFlight;
  }

  /** Called whenever an invocation slot frees up (the batchers then reconsider their queues). */
  onCapacity(listener: () => void): () => void {
    this.capacityListeners.add(listener);
    return () => this.capacityListeners.delete(listener);
  }

  /** Runs a batch to completion (retries included). Resolves when every item is settled. */
  async dispatch(model: string, batch: PendingItem[], config: ModelConfig): Promise<void> {
    this.inFlight++;
    try {
      let pending = batch;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await this.sleep(this.backoffMs(attempt));
        pending = await this.attempt(model, pending, config);
      }
    } finally {
      this.inFlight--;
      const listeners = [...this.capacityListeners];
      const first = this.nextListener++ % Math.max(1, listeners.length);
      for (const listener of [...listeners.slice(first), ...listeners.slice(0, first)]) listener();
    }
  }

  /** One invocation; returns the items to try again. */
  private async attempt(model: string, items: PendingItem[], config: ModelConfig): Promise<PendingItem[]> {
    const live = items.filter((item) => !item.isSettled);
    if (live.length === 0) return [];
    for (const item of live) item.attempts++;
    const event: FunctionEvent = {
      model,
      inputs: live.map((item) => item.input),
      processes: config.processes,
      threadsPerProcess: config.threadsPerProcess,
    };
    const startMs = this.clock.nowMs();
    const outcome = await this.invokeWithTimeout(config.functionName, event);
    this.onReport({ model, batchSize: live.length, serviceMs: this.clock.nowMs() - startMs, outcome });
    const canRetry = (item: PendingItem) => item.attempts < (this.options.maxAttempts ?? 3);

    if (outcome.ok) {
      const answers = outcome.result.outputs;
      if (answers.length !== live.length) {
        // Ray Serve's rule: an answer of the wrong length fails every item, loudly.
        const message = `The function answered ${answers.length} outputs for ${live.length} inputs`;
        for (const item of live) item.settle({ error: { code: 'INVOCATION_FAILED', message } });
        return [];
      }
      const retry: PendingItem[] = [];
      live.forEach((item, i) => {
        const answer = answers[i]!;
        if (isItemError(answer) && answer.error.code === 'WORKER_CRASHED' && canRetry(item)) retry.push(item);
        else item.settle(answer);
      });
      return retry;
    }
    const { error } = outcome;
    if (error.kind !== 'timeout' && isRetryable(error) && live.every(canRetry)) return live;
    const code: ErrorCode = error.kind === 'timeout' ? 'INVOCATION_TIMEOUT' : error.kind === 'throttled' ? 'THROTTLED' : 'INVOCATION_FAILED';
    for (const item of live) item.settle({ error: { code, message: `${error.errorType}: ${error.message}` } });
    return [];
  }

  private invokeWithTimeout(functionName: string, event: FunctionEvent): Promise<InvocationReport['outcome']> {
    const timeoutMs = this.options.invocationTimeoutMs ?? 30_000;
    return new Promise((resolve) => {
      let done = false;
      const timer = this.clock.setTimer(timeoutMs, () => {
        if (done) return;
        done = true;
        resolve({ ok: false, error: { kind: 'timeout', errorType: 'Timeout', message: `no answer within ${timeoutMs} ms` } });
      });
      this.invoker.invoke(functionName, event).then(
        (outcome) => {
          if (done) return;
          done = true;
          this.clock.cancel(timer);
          resolve(outcome);
        },
        (error: unknown) => {
          if (done) return;
          done = true;
          this.clock.cancel(timer);
          resolve({ ok: false, error: { kind: 'transport', errorType: 'InvokerError', message: (error as Error).message } });
        },
      );
    });
  }

  private backoffMs(attempt: number): number {
    const capMs = this.options.backoffCapMs ?? 1000;
    return this.options.random() * Math.min(capMs, (this.options.backoffBaseMs ?? 25) * 2 ** attempt);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }
}
