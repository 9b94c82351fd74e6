import { isItemError } from '../core/function-event.js';
import { quantile, quantileOfSorted } from '../core/stats.js';
import type { TuningConfig } from '../core/tuning-controller.js';
import type { InvocationRecord, ModelTuningEvent, ServingObserver } from '../serving/events.js';
import type { ModelConfig } from '../serving/model-config.js';
import type { ItemSettlement } from '../serving/pending-item.js';

/** One window of the timeline (`--plot`): what arrived, what it cost, the p99, the config. */
export interface TimelineWindow {
  startS: number;
  arrivals: number;
  arrivalRatePerS: number;
  answered: number;
  costUsd: number;
  /** p99 of the requests answered in the window (null when none). */
  p99Ms: number | null;
  withinSlo: number;
  /** The configuration in force when the window began. */
  config: TuningConfig;
}

/** What one policy's run is reported as (the `ferry simulate --json` contract, per policy). */
export interface PolicyTotals {
  requests: number;
  answered: number;
  invocations: number;
  coldStarts: number;
  costUsd: number;
  warmupCostUsd: number;
  costPerMillionUsd: number;
  sloAttainment: number;
  p50Ms: number;
  p99Ms: number;
  configChanges: number;
  throttled: number;
  errors: number;
}

/**
 * Every answered request of a run, by arrival (clock ms), and when each configuration
 * change came into force: what attainment over a sub-interval (a tuning episode) needs.
 * Kept only when asked for (`SimulationSetup.recordAnswers`): 9 bytes a request.
 */
export interface AnswerLog {
  /** The clock time traffic started at (after warm-up); the times below are on the same clock. */
  trafficStartMs: number;
  arrivalMs: Float64Array;
  /** 1 where the request was answered successfully within the SLO. */
  withinSlo: Uint8Array;
  /** Clock times of configuration changes after the initial configuration. */
  configChangesAtMs: number[];
  /** Every billed invocation, warm-ups included: when it was dispatched, and what it was billed. */
  invocationAtMs: Float64Array;
  invocationCostUsd: Float64Array;
}

/**
 * Collects a simulated run from serving's observer calls and tuning events, the same
 * calls /metrics gets live: every answer, every billed invocation (warm-ups apart),
 * every configuration change; and a timeline in windows of `windowMs`.
 */
export class SimReport implements ServingObserver {
  requests = 0;
  private answered = 0;
  private withinSlo = 0;
  private throttled = 0;
  private errors = 0;
  private latenciesMs = new Float64Array(1024);
  private invocations = 0;
  private coldStarts = 0;
  private costUsd = 0;
  private warmupCostUsd = 0;
  /** Cost of a policy's own tuning invocations outside serving (Power Tuning's). */
  private extraCostUsd = 0;
  private configChanges = -1;
  private config: TuningConfig = { memoryMb: 0, batchSize: 0, processes: 0 };
  readonly windows: TimelineWindow[] = [];
  readonly tuningEvents: ModelTuningEvent[] = [];
  private window = emptyWindow();
  private windowConfig: TuningConfig | undefined;
  private log: { arrivalMs: Float64Array; withinSlo: Uint8Array; configChangesAtMs: number[]; invocationAtMs: Float64Array; invocationCostUsd: Float64Array; billed: number } | undefined;

  constructor(
    private readonly sloMs: number,
    private readonly windowMs: number,
    recordAnswers = false,
  ) {
    if (recordAnswers) {
      this.log = { arrivalMs: new Float64Array(1024), withinSlo: new Uint8Array(1024), configChangesAtMs: [], invocationAtMs: new Float64Array(1024), invocationCostUsd: new Float64Array(1024), billed: 0 };
    }
  }

  onArrivals(_model: string, count: number): void {
    this.requests += count;
    this.window.arrivals += count;
  }

  onAnswer(_model: string, arrivalMs: number, latencyMs: number, answer: ItemSettlement): void {
    if (this.answered === this.latenciesMs.length) this.latenciesMs = grownCopy(this.latenciesMs);
    const failed = isItemError(answer);
    if (this.log) this.logAnswer(arrivalMs, !failed && latencyMs <= this.sloMs);
    // A failed request never met its SLO: it counts at infinite latency in the percentiles.
    const ms = failed ? Infinity : latencyMs;
    this.latenciesMs[this.answered++] = ms;
    this.window.answered++;
    this.window.latenciesMs.push(ms);
    if (failed) {
      if (answer.error.code === 'THROTTLED') this.throttled++;
      else this.errors++;
    } else if (latencyMs <= this.sloMs) {
      this.withinSlo++;
      this.window.withinSlo++;
    }
  }

  onInvocation(record: InvocationRecord): void {
    this.invocations++;
    if (!record.billing) return;
    if (record.billing.initDurationMs !== undefined) this.coldStarts++;
    this.costUsd += record.billing.costUsd;
    this.window.costUsd += record.billing.costUsd;
    if (record.warmup) this.warmupCostUsd += record.billing.costUsd;
    if (this.log) this.logInvocation(record.atMs - record.serviceMs, record.billing.costUsd);
  }

  onConfig(_model: string, config: ModelConfig, atMs: number): void {
    if (this.log && this.configChanges >= 0) this.log.configChangesAtMs.push(atMs);
    this.configChanges++;
    this.config = { memoryMb: config.memoryMb, batchSize: config.batchSize, processes: config.processes };
  }

  onTuning(event: ModelTuningEvent): void {
    this.tuningEvents.push(event);
  }

  /** Tuning invocations a policy ran outside serving (they are billed like any other). */
  addTuningCost(costUsd: number, invocations: number, coldStarts: number): void {
    this.extraCostUsd += costUsd;
    this.invocations += invocations;
    this.coldStarts += coldStarts;
  }

  /** Closes the current timeline window (the runner calls this every `windowMs`). */
  closeWindow(startMs: number): void {
    const w = this.window;
    this.windows.push({
      startS: startMs / 1000, arrivals: w.arrivals, arrivalRatePerS: w.arrivals / (this.windowMs / 1000), answered: w.answered,
      costUsd: w.costUsd, p99Ms: w.latenciesMs.length > 0 ? finiteOrNull(quantile(w.latenciesMs, 0.99)) : null,
      withinSlo: w.withinSlo, config: { ...(this.windowConfig ?? this.config) },
    });
    this.window = emptyWindow();
    this.windowConfig = { ...this.config };
  }

  /** The answer log, if kept (`recordAnswers`). */
  answerLog(trafficStartMs: number): AnswerLog | undefined {
    if (!this.log) return undefined;
    return {
      trafficStartMs, arrivalMs: this.log.arrivalMs.slice(0, this.answered), withinSlo: this.log.withinSlo.slice(0, this.answered),
      configChangesAtMs: [...this.log.configChangesAtMs],
      invocationAtMs: this.log.invocationAtMs.slice(0, this.log.billed), invocationCostUsd: this.log.invocationCostUsd.slice(0, this.log.billed),
    };
  }

  private logInvocation(dispatchedAtMs: number, costUsd: number): void {
    const log = this.log!;
    if (log.billed >= log.invocationAtMs.length) {
      log.invocationAtMs = grownCopy(log.invocationAtMs);
      log.invocationCostUsd = grownCopy(log.invocationCostUsd);
    }
    log.invocationAtMs[log.billed] = dispatchedAtMs;
    log.invocationCostUsd[log.billed++] = costUsd;
  }

  private logAnswer(arrivalMs: number, met: boolean): void {
    const log = this.log!;
    if (this.answered >= log.arrivalMs.length) {
      log.arrivalMs = grownCopy(log.arrivalMs);
      const within = new Uint8Array(log.withinSlo.length * 2);
      within.set(log.withinSlo);
      log.withinSlo = within;
    }
    // Called before `answered` counts this answer: it is the index.
    log.arrivalMs[this.answered] = arrivalMs;
    log.withinSlo[this.answered] = met ? 1 : 0;
  }

  get answeredCount(): number {
    return this.answered;
  }

  /** Requests answered late or with an error so far. */
  get missCount(): number {
    return this.answered - this.withinSlo;
  }

  totals(): PolicyTotals {
    const latencies = this.latenciesMs.slice(0, this.answered).sort();
    const costUsd = this.costUsd + this.extraCostUsd;
    return {
      requests: this.requests,
      answered: this.answered,
      invocations: this.invocations,
      coldStarts: this.coldStarts,
      costUsd,
      warmupCostUsd: this.warmupCostUsd,
      costPerMillionUsd: this.answered > 0 ? (costUsd / this.answered) * 1e6 : 0,
      sloAttainment: this.requests > 0 ? this.withinSlo / this.requests : 1,
      p50Ms: latencies.length > 0 ? quantileOfSorted(latencies, 0.5) : 0,
      p99Ms: latencies.length > 0 ? quantileOfSorted(latencies, 0.99) : 0,
      configChanges: Math.max(0, this.configChanges),
      throttled: this.throttled,
      errors: this.errors,
    };
  }
}

function grownCopy(values: Float64Array): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(values.length * 2);
  grown.set(values);
  return grown;
}

function emptyWindow() {
  return { arrivals: 0, answered: 0, costUsd: 0, latenciesMs: [] as number[], withinSlo: 0 };
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

