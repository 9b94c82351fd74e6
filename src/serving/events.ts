import type { InvocationBilling, InvokeErrorKind } from '../core/invoker.js';
import type { TuningEvent } from '../core/tuning-controller.js';
import type { ModelConfig } from './model-config.js';
import type { ItemSettlement } from './pending-item.js';

/** Why a batch left the queue (core/batching-policy.ts decides all but `drain`). */
export type BatchReason = 'full' | 'payload' | 'deadline' | 'max-wait' | 'drain';

/** How an invocation ended: ok, the platform's error kind, or the gateway's own timeout. */
export type InvocationOutcomeKind = 'ok' | InvokeErrorKind | 'timeout';

/** One finished invocation, traffic or warm-up, as every observer sees it. */
export interface InvocationRecord {
  model: string;
  /** The function invoked: the model's own, or its trial lane's (Gateway.applyTrial). */
  functionName: string;
  /** Requests the invocation carried: 0 for a warm-up, which carries none. */
  batchSize: number;
  /** From dispatch to answer, on the gateway's clock. */
  serviceMs: number;
  outcome: InvocationOutcomeKind;
  /** What the platform billed, when it said (a timeout or a transport failure may not). */
  billing?: InvocationBilling;
  /** Started by the gateway to warm instances up, not by traffic. */
  warmup: boolean;
  atMs: number;
}

/**
 * What serving tells the world, live and simulated alike: metrics, the tuner, the
 * simulator's reports and the dashboard each subscribe to the same calls. The hot-path
 * calls (arrivals, batches, invocations, answers) are methods rather than event objects,
 * so a subscriber costs no allocation per request; every method is optional.
 */
export interface ServingObserver {
  onArrivals?(model: string, count: number, atMs: number): void;
  onBatch?(model: string, size: number, reason: BatchReason, oldestWaitMs: number, atMs: number): void;
  onInvocation?(record: InvocationRecord): void;
  /**
   * One request item settled: when it arrived, its latency, its answer, and whether it was
   * routed to the model's trial lane (a configuration on a slice of the traffic).
   */
  onAnswer?(model: string, arrivalMs: number, latencyMs: number, answer: ItemSettlement, trial: boolean): void;
  /** A configuration came into force (at start and after every change). */
  onConfig?(model: string, config: ModelConfig, atMs: number): void;
}

/** A tuning decision of one model (rare: typed event objects, logged and shown as they are). */
export type ModelTuningEvent = TuningEvent & { model: string };

/**
 * Where tuning decisions go: the JSON-lines log, /metrics, the console and the simulator's
 * timeline each subscribe; the tuner itself prints nothing.
 */
export class TuningEventSink {
  private subscribers: ReadonlyArray<(event: ModelTuningEvent) => void> = [];

  subscribe(subscriber: (event: ModelTuningEvent) => void): () => void {
    this.subscribers = [...this.subscribers, subscriber];
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== subscriber);
    };
  }

  emit(event: ModelTuningEvent): void {
    for (const subscriber of this.subscribers) subscriber(event);
  }
}

/** Fans one stream of calls out to several observers (called once where serving is put together). */
export function combineObservers(observers: readonly ServingObserver[]): ServingObserver {
  const having = <K extends keyof ServingObserver>(key: K) => observers.filter((o) => o[key] !== undefined);
  const arrivals = having('onArrivals');
  const batches = having('onBatch');
  const invocations = having('onInvocation');
  const answers = having('onAnswer');
  const configs = having('onConfig');
  const combined: ServingObserver = {};
  if (arrivals.length > 0) combined.onArrivals = (model, count, atMs) => { for (const o of arrivals) o.onArrivals!(model, count, atMs); };
  if (batches.length > 0) combined.onBatch = (model, size, reason, waitMs, atMs) => { for (const o of batches) o.onBatch!(model, size, reason, waitMs, atMs); };
  if (invocations.length > 0) combined.onInvocation = (record) => { for (const o of invocations) o.onInvocation!(record); };
  if (answers.length > 0) combined.onAnswer = (model, arrivalMs, latencyMs, answer, trial) => { for (const o of answers) o.onAnswer!(model, arrivalMs, latencyMs, answer, trial); };
  if (configs.length > 0) combined.onConfig = (model, config, atMs) => { for (const o of configs) o.onConfig!(model, config, atMs); };
  return combined;
}
