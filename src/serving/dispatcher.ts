import type { Clock } from '../core/clock.js';
import type { ErrorCode } from '../core/errors.js';
import { isItemError, type FunctionEvent } from '../core/function-event.js';
import { isCrash, isRetryable, type InvokeOutcome, type FunctionInvoker } from '../core/invoker.js';
import { TimeoutQueue } from '../core/timeout-queue.js';
import type { InvocationRecord } from './events.js';
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

type Outcome = InvokeOutcome | { ok: false; error: { kind: 'timeout'; errorType: string; message: string }; billing?: undefined };

/**
 * Sends batches to the platform with a bound on invocations in flight, a timeout per
 * invocation, and retries with backoff and jitter on throttling and crashes (inference is
 * idempotent). Every item it is given is settled exactly once.
 *
 * Written as callbacks rather than an async retry loop: per invocation this takes the
 * invoker's promise and nothing else, where the loop took five more promise hops, a
 * measurable share of the gateway's cost per request (BENCHMARKS.md, gateway overhead).
 */
/** Time constant of the average of traffic in flight (a tuning window is 20 s or more). */
const busyTauMs = 30_000;

export class Dispatcher {
  private inFlight = 0;
  /** Replaced, never mutated, on (un)subscribe: a freed slot walks a stable snapshot without copying it. */
  private capacityListeners: ReadonlyArray<() => void> = [];
  /** Where the next freed slot starts offering itself, so no model always comes first. */
  private nextListener = 0;
  private readonly timeouts: TimeoutQueue;
  private readonly maxAttempts: number;
  private peak = 0;
  /** Warm-up invocations among those in flight. */
  private warming = 0;
  /** Traffic invocations in flight, averaged over the last busyTauMs or so (an exponential average in time). */
  private busyMean = 0;
  private busyAtMs: number;

  constructor(
    private readonly invoker: FunctionInvoker,
    private readonly clock: Clock,
    private readonly options: DispatcherOptions,
    /** Every finished invocation, traffic and warm-up, before its items are settled. */
    private readonly onReport: (record: InvocationRecord) => void = () => undefined,
  ) {
    this.busyAtMs = clock.nowMs();
    this.timeouts = new TimeoutQueue(clock, options.invocationTimeoutMs ?? 30_000);
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  get hasCapacity(): boolean {
    return this.inFlight < (this.options.maxInFlight ?? 4);
  }

  get invocationsInFlight(): number {
    return this.inFlight;
  }

  /**
   * The most traffic invocations in flight at once since the last call: how many instances
   * traffic kept busy (warm-ups are left out, or each warm-up would ask for a larger one).
   */
  takePeakInFlight(): number {
    const peak = this.peak;
    this.peak = this.inFlight - this.warming;
    return peak;
  }

  /**
   * How many instances to warm for a new configuration: what traffic keeps busy now, with
   * room for its ups and downs (busy instances of Poisson traffic are Poisson-distributed:
   * the mean plus two of its standard deviations), never more than the peak since the last
   * call. The peak alone warmed for the worst burst since the last change: in the simulator
   * half of joint-bo's cold starts were warm-ups on bursty traffic, at 2-30 req/s.
   */
  takeInstancesToWarm(): number {
    const busy = this.busyInstances();
    return Math.max(1, Math.min(this.takePeakInFlight(), busy));
  }

  /** Instances traffic keeps busy now, with room for its ups and downs (takeInstancesToWarm without the peak). */
  busyInstances(): number {
    this.trackBusy();
    const mean = this.busyMean;
    return Math.max(1, Math.ceil(mean + 2 * Math.sqrt(mean)));
  }

  /** Called whenever an invocation slot frees up (the batchers then reconsider their queues). */
  onCapacity(listener: () => void): () => void {
    this.capacityListeners = [...this.capacityListeners, listener];
    return () => {
      this.capacityListeners = this.capacityListeners.filter((l) => l !== listener);
    };
  }

  /**
   * Runs a batch to completion, retries included; `onDone` is called once every item is
   * settled, before the freed slot is offered to the batchers.
   */
  dispatch(model: string, batch: PendingItem[], config: ModelConfig, onDone: () => void = () => undefined): void {
    this.take();
    this.attempt(model, batch, config, 1, () => this.finish(onDone));
  }

  /**
   * Runs one empty invocation (it starts an instance and its workers and carries no
   * request), through the same slots, timeout and reports as traffic, so that what
   * warming costs is billed and shown like any invocation. Not retried. Calls `onDone`
   * with the outcome.
   */
  warmUp(model: string, config: ModelConfig, onDone: (outcome: Outcome) => void): void {
    this.trackBusy();
    this.inFlight++;
    this.warming++;
    const event: FunctionEvent = { model, inputs: [], processes: config.processes, threadsPerProcess: config.threadsPerProcess };
    this.run(model, config, event, 0, true, (outcome) => {
      this.warming--;
      this.finish(() => onDone(outcome));
    });
  }

  private take(): void {
    this.trackBusy();
    this.inFlight++;
    if (this.inFlight - this.warming > this.peak) this.peak = this.inFlight - this.warming;
  }

  /**
   * Invocation number `attempt` for the items of `items` not settled yet; `settled` once
   * they all are. Items whose worker crashed (out of memory, most likely: a batch too large
   * for the memory size) are retried in two halves, one after the other in this slot, so
   * that a batch that cannot fit still gets its requests answered in smaller ones.
   */
  private attempt(model: string, items: PendingItem[], config: ModelConfig, attempt: number, settled: () => void): void {
    const live = attempt === 1 ? items : items.filter((item) => !item.isSettled);
    if (live.length === 0) return settled();
    const inputs = new Array<FunctionEvent['inputs'][number]>(live.length);
    for (let i = 0; i < live.length; i++) {
      live[i]!.attempts++;
      inputs[i] = live[i]!.input;
    }
    const event: FunctionEvent = { model, inputs, processes: config.processes, threadsPerProcess: config.threadsPerProcess };
    this.run(model, config, event, live.length, false, (outcome) => {
      const { retry, crashed } = this.settle(live, outcome);
      if (retry.length === 0) return settled();
      const next = (part: PendingItem[], then: () => void) => this.attempt(model, part, config, attempt + 1, then);
      const half = crashed ? Math.ceil(retry.length / 2) : retry.length;
      this.clock.setTimer(this.backoffMs(attempt), () =>
        next(retry.slice(0, half), () => (half < retry.length ? next(retry.slice(half), settled) : settled())));
    });
  }

  /** One invocation under the timeout: reports it, then hands its outcome on, exactly once. */
  private run(model: string, config: ModelConfig, event: FunctionEvent, batchSize: number, warmup: boolean, then: (outcome: Outcome) => void): void {
    const startMs = this.clock.nowMs();
    let answered = false;
    const complete = (outcome: Outcome) => {
      if (answered) return; // a late answer after the timeout, or a timeout after the answer
      answered = true;
      timeout.clear();
      const atMs = this.clock.nowMs();
      this.onReport({
        model, functionName: config.functionName, batchSize, serviceMs: atMs - startMs, outcome: outcome.ok ? 'ok' : outcome.error.kind, warmup, atMs,
        ...(outcome.billing ? { billing: outcome.billing } : {}),
      });
      then(outcome);
    };
    const timeout = this.timeouts.start(() =>
      complete({ ok: false, error: { kind: 'timeout', errorType: 'Timeout', message: `no answer within ${this.timeouts.timeoutMs} ms` } }), startMs);
    try {
      this.invoker.invoke(config.functionName, event, complete);
    } catch (error) {
      // An invoker that throws instead of answering still fails only this batch.
      complete({ ok: false, error: { kind: 'transport', errorType: 'InvokerError', message: (error as Error)?.message ?? String(error) } });
    }
  }

  /** Settles what the outcome answers; returns the items to try again, and whether a worker or instance crashed. */
  private settle(live: PendingItem[], outcome: Outcome): { retry: PendingItem[]; crashed: boolean } {
    const canRetry = (item: PendingItem) => item.attempts < this.maxAttempts;
    if (outcome.ok) {
      const answers = outcome.result.outputs;
      if (answers.length !== live.length) {
        // Ray Serve's rule: an answer of the wrong length fails every item, loudly.
        const message = `The function answered ${answers.length} outputs for ${live.length} inputs`;
        for (const item of live) item.settle({ error: { code: 'INVOCATION_FAILED', message } });
        return { retry: [], crashed: false };
      }
      let retry: PendingItem[] | undefined;
      for (let i = 0; i < live.length; i++) {
        const item = live[i]!;
        const answer = answers[i]!;
        if (isItemError(answer) && answer.error.code === 'WORKER_CRASHED' && canRetry(item)) (retry ??= []).push(item);
        else item.settle(answer);
      }
      return { retry: retry ?? [], crashed: retry !== undefined };
    }
    const { error } = outcome;
    if (error.kind !== 'timeout' && isRetryable(error) && live.every(canRetry)) return { retry: live, crashed: isCrash(error) };
    const code: ErrorCode = error.kind === 'timeout' ? 'INVOCATION_TIMEOUT' : error.kind === 'throttled' ? 'THROTTLED' : 'INVOCATION_FAILED';
    for (const item of live) item.settle({ error: { code, message: `${error.errorType}: ${error.message}` } });
    return { retry: [], crashed: false };
  }

  /** Folds the time since the last change of traffic in flight into the average. */
  private trackBusy(): void {
    const nowMs = this.clock.nowMs();
    const dtMs = nowMs - this.busyAtMs;
    if (dtMs <= 0) return;
    this.busyMean += (1 - Math.exp(-dtMs / busyTauMs)) * (this.inFlight - this.warming - this.busyMean);
    this.busyAtMs = nowMs;
  }

  private finish(onDone: () => void): void {
    this.trackBusy();
    this.inFlight--;
    onDone();
    const listeners = this.capacityListeners;
    const first = this.nextListener++ % Math.max(1, listeners.length);
    for (let k = 0; k < listeners.length; k++) listeners[(first + k) % listeners.length]!();
  }

  /** Full jitter before retry number `attempt` (1 = the first retry). */
  private backoffMs(attempt: number): number {
    const capMs = this.options.backoffCapMs ?? 1000;
    return this.options.random() * Math.min(capMs, (this.options.backoffBaseMs ?? 25) * 2 ** attempt);
  }
}
