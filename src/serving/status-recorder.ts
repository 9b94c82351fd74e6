import type { Clock } from '../core/clock.js';
import type { LatencyModel } from '../core/latency-model.js';
import type { TuningConfig } from '../core/tuning-controller.js';
import type { BatchReason, InvocationRecord, ModelTuningEvent, ServingObserver } from './events.js';
import type { ModelConfig } from './model-config.js';
import { PerRequestEstimate, perRequestConfig } from './per-request-estimate.js';
import type { ItemSettlement } from './pending-item.js';
import { batchReasons, StatusWindow } from './status-window.js';
import { statusOfModel, type ModelStatus } from './status-snapshot.js';

export interface StatusRecorderOptions {
  /** Width of one window. @default 5000 */
  windowMs?: number;
  /** Windows kept per model, a ring: older ones are forgotten. @default 240 (20 minutes of 5 s windows) */
  windows?: number;
  /** Tuning decisions and configuration changes kept per model, newest. @default 100 */
  events?: number;
  /** A model's profile, for the per-request estimate (none: no estimate for that model). */
  latencyModel?: (model: string) => LatencyModel | undefined;
}

/** A bounded list of the newest entries. */
class Recent<T> {
  private readonly items: T[] = [];
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
  }
  newestFirst(): T[] {
    return [...this.items].reverse();
  }
}

export interface ConfigChange extends TuningConfig {
  atMs: number;
  threadsPerProcess: number;
  sloMs: number;
}

/** The totals since serving started, with the windows of the last minutes. */
export interface ModelTotals {
  arrivals: number;
  answered: number;
  withinSlo: number;
  throttled: number;
  failed: number;
  invocations: number;
  coldStarts: number;
  throttledInvocations: number;
  costUsd: number;
  baselineCostUsd: number;
}

export class ModelRecord {
  readonly ring: StatusWindow[];
  /** Index (since the recorder's origin) of the newest window; -1 before the first. */
  newestIndex = -1;
  readonly totals: ModelTotals = { arrivals: 0, answered: 0, withinSlo: 0, throttled: 0, failed: 0, invocations: 0, coldStarts: 0, throttledInvocations: 0, costUsd: 0, baselineCostUsd: 0 };
  readonly configs: Recent<ConfigChange>;
  readonly tuning: Recent<ModelTuningEvent>;
  /** Kept apart from `tuning`, where frequent evaluations would push them out. */
  readonly changePointsMs: Recent<number>;
  config: ModelConfig;

  constructor(
    readonly model: string,
    config: ModelConfig,
    windows: number,
    events: number,
    readonly estimate: PerRequestEstimate | undefined,
  ) {
    this.config = config;
    this.ring = Array.from({ length: windows }, () => new StatusWindow());
    this.configs = new Recent(events);
    this.tuning = new Recent(events);
    this.changePointsMs = new Recent(events);
  }

  /** Windows oldest first (at most the ring's length; the last one is still open). */
  windows(): StatusWindow[] {
    const count = Math.min(this.ring.length, this.newestIndex + 1);
    return Array.from({ length: count }, (_, i) => this.ring[(this.newestIndex - count + 1 + i) % this.ring.length]!);
  }
}

const tuningConfig = (c: ModelConfig): TuningConfig => ({ memoryMb: c.memoryMb, batchSize: c.batchSize, processes: c.processes });

/**
 * What the dashboard shows, as a subscriber of serving like /metrics: per model, a ring of
 * the last N windows (arrivals, latency quantiles and SLO attainment, throttled and failed
 * answers, billed cost beside the per-request estimate, batches by reason, cold starts, the
 * configuration in force), the totals since start, and the newest configuration changes
 * and tuning decisions. Memory is fixed by the options, whatever the traffic and uptime.
 * Pure: every event is counted in the window of the injected clock's time, and windows
 * roll when an event or a snapshot finds time has moved on; no timer of its own.
 */
export class StatusRecorder implements ServingObserver {
  readonly windowMs: number;
  private readonly windowCount: number;
  private readonly eventCount: number;
  private readonly originMs: number;
  private readonly records = new Map<string, ModelRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly options: StatusRecorderOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 5000;
    this.windowCount = options.windows ?? 240;
    this.eventCount = options.events ?? 100;
    if (!(this.windowMs > 0 && Number.isInteger(this.windowCount) && this.windowCount >= 1)) {
      throw new RangeError(`Expected windowMs > 0 and windows an integer >= 1, got ${this.windowMs} and ${this.windowCount}`);
    }
    this.originMs = clock.nowMs();
  }

  onConfig(model: string, config: ModelConfig, atMs: number): void {
    let record = this.records.get(model);
    if (!record) {
      const latency = this.options.latencyModel?.(model);
      record = new ModelRecord(model, config, this.windowCount, this.eventCount, latency ? new PerRequestEstimate(latency) : undefined);
      this.records.set(model, record);
    }
    record.config = config;
    record.configs.push({ atMs, ...tuningConfig(config), threadsPerProcess: config.threadsPerProcess, sloMs: config.sloMs });
    this.current(record).config = tuningConfig(config);
  }

  onArrivals(model: string, count: number): void {
    const record = this.records.get(model);
    if (!record) return;
    this.current(record).arrivals += count;
    record.totals.arrivals += count;
  }

  onBatch(model: string, size: number, reason: BatchReason): void {
    const record = this.records.get(model);
    if (!record) return;
    const tally = this.current(record).batches.get(reason)!;
    tally.count++;
    tally.items += size;
  }

  onInvocation(invocation: InvocationRecord): void {
    const record = this.records.get(invocation.model);
    if (!record) return;
    const window = this.current(record);
    const totals = record.totals;
    const cold = invocation.billing?.initDurationMs !== undefined;
    window.invocations++;
    totals.invocations++;
    if (invocation.warmup) window.warmups++;
    if (cold) {
      window.coldStarts++;
      totals.coldStarts++;
    }
    if (invocation.outcome === 'throttled') {
      window.throttledInvocations++;
      totals.throttledInvocations++;
    } else if (invocation.outcome !== 'ok') window.failedInvocations++;
    const costUsd = invocation.billing?.costUsd ?? 0;
    window.costUsd += costUsd;
    totals.costUsd += costUsd;
    // Against the configuration in force now: the few invocations that straddle a change
    // are attributed to the new one (the record does not say which configuration ran it).
    if (invocation.outcome === 'ok' && !cold && !invocation.warmup && invocation.batchSize > 0) {
      record.estimate?.observe(invocation.batchSize, record.config, invocation.billing?.durationMs ?? invocation.serviceMs);
    }
  }

  onAnswer(model: string, _arrivalMs: number, latencyMs: number, answer: ItemSettlement): void {
    const record = this.records.get(model);
    if (!record) return;
    const window = this.current(record);
    const totals = record.totals;
    window.answered++;
    totals.answered++;
    window.recordLatency(latencyMs);
    if ('error' in answer) {
      if (answer.error.code === 'THROTTLED') {
        window.throttled++;
        totals.throttled++;
      } else {
        window.failed++;
        totals.failed++;
      }
    } else if (latencyMs <= record.config.sloMs) {
      window.withinSlo++;
      totals.withinSlo++;
    }
    if (record.estimate) {
      const baselineUsd = record.estimate.costUsdPerRequest;
      window.baselineCostUsd += baselineUsd;
      totals.baselineCostUsd += baselineUsd;
    }
  }

  /** A tuning decision (subscribe this to the TuningEventSink). */
  onTuningEvent(event: ModelTuningEvent): void {
    const record = this.records.get(event.model);
    if (!record) return;
    record.tuning.push(event);
    if (event.kind === 'change-point') record.changePointsMs.push(event.atMs);
  }

  nowMs(): number {
    return this.clock.nowMs();
  }

  models(): string[] {
    return [...this.records.keys()];
  }

  /** Everything the dashboard draws for one model, as plain JSON (windows oldest first). */
  status(model: string): ModelStatus | undefined {
    const record = this.records.get(model);
    if (!record) return undefined;
    this.current(record);
    return statusOfModel(record, { nowMs: this.clock.nowMs(), windowMs: this.windowMs, perRequestConfig, batchReasons });
  }

  /** The window of the clock's time, rolling the ring forward (clearing skipped windows) as needed. */
  private current(record: ModelRecord): StatusWindow {
    const index = Math.floor((this.clock.nowMs() - this.originMs) / this.windowMs);
    const ring = record.ring;
    if (index > record.newestIndex) {
      const config = tuningConfig(record.config);
      // At most one lap: windows skipped beyond that would be cleared and overwritten anyway.
      for (let i = Math.max(record.newestIndex + 1, index - ring.length + 1); i <= index; i++) {
        ring[i % ring.length]!.reset(this.originMs + i * this.windowMs, config);
      }
      record.newestIndex = index;
    }
    return ring[record.newestIndex % ring.length]!;
  }
}
