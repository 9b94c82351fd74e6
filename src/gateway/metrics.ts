import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { InvocationBilling } from '../core/invoker.js';
import type { ModelConfig } from '../serving/model-config.js';
import { TallyHistogram, type HistogramSeries } from './tally-histogram.js';

const latencyBuckets = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];

/** Lambda's "MB" of memory is a mebibyte (10,240 MB = 10 GB, GB-seconds = MB / 1024 x s). */
export const bytesPerMb = 1024 * 1024;

/**
 * prom-client's default metrics include three gauges named `*_total`, which Prometheus
 * reserves for counters (promtool flags them). Each only sums a gauge that is exported
 * by type beside it (`nodejs_active_handles{type}` and so on), so nothing is lost.
 */
const gaugesNamedLikeCounters = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** What the gauges read when scraped: the gateway's state at that moment. */
export interface GatewayState {
  invocationsInFlight: number;
  queueDepths(): Iterable<[model: string, depth: number]>;
}

/**
 * The gateway's Prometheus metrics, in their own registry (several gateways may share a
 * process). Every request and every invocation updates some of them, so the hot path
 * costs no label hashing: each model's ModelMeter holds its histogram series resolved and
 * its counters as plain sums, which prom-client reads when /metrics is scraped (counters
 * through `collect`, histograms through TallyHistogram). Queue depth and invocations in
 * flight are read from the gateway at scrape time too, rather than set on every change.
 *
 * Names follow Prometheus's conventions, checked by `promtool check metrics` in the tests:
 * base units (seconds, bytes), `_total` on counters only, one unit per metric (so each
 * config key is its own gauge). docs/metrics.md lists every metric and the renames.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly meters = new Map<string, ModelMeter>();
  private state: GatewayState | undefined;

  /** @internal read by ModelMeter */
  readonly requestSeconds = new TallyHistogram('ferry_request_duration_seconds', 'Request latency, arrival to answer', ['model', 'status'], latencyBuckets, this.registry);
  /** @internal */
  readonly queueWaitSeconds = new TallyHistogram('ferry_queue_wait_seconds', 'Wait of the oldest request of each batch before dispatch', ['model'], latencyBuckets, this.registry);
  /** @internal */
  readonly batchSize = new TallyHistogram('ferry_batch_size', 'Requests per invocation', ['model', 'reason'], [1, 2, 4, 8, 16, 32, 64], this.registry);
  private readonly errors = new Counter({
    name: 'ferry_errors_total', help: 'Requests answered with an error, by code', labelNames: ['model', 'code'], registers: [this.registry],
  });
  private readonly config = {
    batchSize: this.configGauge('ferry_config_batch_size', 'Configuration in force: requests per invocation, at most'),
    processes: this.configGauge('ferry_config_processes', 'Configuration in force: worker processes per function instance'),
    threadsPerProcess: this.configGauge('ferry_config_threads_per_process', 'Configuration in force: intra-op threads per worker process'),
    memoryBytes: this.configGauge('ferry_config_memory_bytes', 'Configuration in force: function memory in bytes (Lambda MB x 1048576)'),
    sloSeconds: this.configGauge('ferry_config_slo_seconds', 'Configuration in force: latency objective per request, arrival to answer'),
  };

  readonly tuningEvents = new Counter({
    name: 'ferry_tuning_events_total', help: 'Tuning decisions: evaluated, applied, change-point', labelNames: ['model', 'kind'], registers: [this.registry],
  });
  readonly tuningCostPerRequest = new Gauge({
    name: 'ferry_tuning_cost_usd_per_request', help: 'Cost per request measured over the last tuning window', labelNames: ['model'], registers: [this.registry],
  });
  /** Set in seconds (the window's p99 in ms / 1000). */
  readonly tuningP99Seconds = new Gauge({
    name: 'ferry_tuning_p99_latency_seconds', help: 'p99 request latency measured over the last tuning window', labelNames: ['model'], registers: [this.registry],
  });

  /**
   * @param options.defaultMetrics also export prom-client's process and Node.js metrics
   *   (CPU, memory, event-loop lag, GC) from this registry. @default false
   */
  constructor(options: { defaultMetrics?: boolean } = {}) {
    const meters = this.meters;
    const fromMeters = (name: string, help: string, read: (meter: ModelMeter) => number) => {
      const counter: Counter = new Counter({
        name, help, labelNames: ['model'], registers: [this.registry],
        collect: () => {
          counter.reset();
          for (const [model, meter] of meters) counter.inc({ model }, read(meter));
        },
      });
    };
    const invocations: Counter = new Counter({
      name: 'ferry_invocations_total', help: 'Function invocations by outcome', labelNames: ['model', 'outcome'], registers: [this.registry],
      collect: () => {
        invocations.reset();
        for (const [model, meter] of meters) for (const [outcome, count] of meter.invocationsByOutcome) invocations.inc({ model, outcome }, count);
      },
    });
    fromMeters('ferry_cold_starts_total', 'Invocations that started an instance', (m) => m.coldStarts);
    fromMeters('ferry_billed_duration_seconds_total', 'Billed duration of invocations, summed', (m) => m.billedSeconds);
    fromMeters('ferry_billed_memory_byte_seconds_total', 'Billed memory x billed duration in byte-seconds (one Lambda GB-second is 2^30)', (m) => m.billedByteSeconds);
    fromMeters('ferry_cost_usd_total', 'Billed cost in USD (compute + requests)', (m) => m.costUsd);
    const queueDepth: Gauge = new Gauge({
      name: 'ferry_queue_depth', help: 'Requests waiting in the queue', labelNames: ['model'], registers: [this.registry],
      collect: () => {
        for (const [model, depth] of this.state?.queueDepths() ?? []) queueDepth.set({ model }, depth);
      },
    });
    const inFlight: Gauge = new Gauge({
      name: 'ferry_invocations_in_flight', help: 'Invocations running now', registers: [this.registry],
      collect: () => inFlight.set(this.state?.invocationsInFlight ?? 0),
    });
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of gaugesNamedLikeCounters) this.registry.removeSingleMetric(name);
    }
  }

  private configGauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, labelNames: ['model'], registers: [this.registry] });
  }

  /** Where the gauges read the queue depths and invocations in flight from. */
  watch(state: GatewayState): void {
    this.state = state;
  }

  /** The meter of one served model (created on first use; callers keep it). */
  model(model: string): ModelMeter {
    let meter = this.meters.get(model);
    if (!meter) {
      meter = new ModelMeter(model, this);
      this.meters.set(model, meter);
    }
    return meter;
  }

  /** A request answered with an error (a cold path: prom-client's own counter). */
  recordError(model: string, code: string): void {
    this.errors.inc({ model, code });
  }

  setConfig(model: string, config: ModelConfig): void {
    this.config.batchSize.set({ model }, config.batchSize);
    this.config.processes.set({ model }, config.processes);
    this.config.threadsPerProcess.set({ model }, config.threadsPerProcess);
    this.config.memoryBytes.set({ model }, config.memoryMb * bytesPerMb);
    this.config.sloSeconds.set({ model }, config.sloMs / 1000);
  }
}

/** One model's hot-path metrics: series resolved once, counters as plain sums. */
export class ModelMeter {
  readonly invocationsByOutcome = new Map<string, number>();
  coldStarts = 0;
  billedSeconds = 0;
  billedByteSeconds = 0;
  costUsd = 0;
  private readonly requestsByStatus = new Map<number, HistogramSeries>();
  private readonly batchesByReason = new Map<string, HistogramSeries>();
  private readonly queueWait: HistogramSeries;

  constructor(
    readonly model: string,
    private readonly metrics: GatewayMetrics,
  ) {
    this.queueWait = metrics.queueWaitSeconds.series(model);
  }

  recordRequest(status: number, seconds: number): void {
    let series = this.requestsByStatus.get(status);
    if (!series) {
      series = this.metrics.requestSeconds.series(this.model, String(status));
      this.requestsByStatus.set(status, series);
    }
    series.observe(seconds);
  }

  /** A batch left the queue: its size, why, and how long its oldest request waited. */
  recordBatch(size: number, reason: string, oldestWaitMs: number): void {
    let series = this.batchesByReason.get(reason);
    if (!series) {
      series = this.metrics.batchSize.series(this.model, reason);
      this.batchesByReason.set(reason, series);
    }
    series.observe(size);
    this.queueWait.observe(oldestWaitMs / 1000);
  }

  /** An invocation ended (`outcome`: ok or the error's kind), with its billing when the platform reported one. */
  recordInvocation(outcome: string, billing?: InvocationBilling): void {
    this.invocationsByOutcome.set(outcome, (this.invocationsByOutcome.get(outcome) ?? 0) + 1);
    if (!billing) return;
    if (billing.initDurationMs !== undefined) this.coldStarts++;
    const billedSeconds = billing.billedDurationMs / 1000;
    this.billedSeconds += billedSeconds;
    this.billedByteSeconds += billedSeconds * billing.memoryMb * bytesPerMb;
    this.costUsd += billing.costUsd;
  }
}
