import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { InvocationBilling } from '../core/invoker.js';
import type { ModelConfig } from './model-config.js';

const latencyBuckets = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];

/** The gateway's Prometheus metrics, in their own registry (several gateways may share a process). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requestSeconds = new Histogram({
    name: 'ferry_request_duration_seconds', help: 'Request latency, arrival to answer', labelNames: ['model', 'status'],
    buckets: latencyBuckets, registers: [this.registry],
  });
  readonly queueWaitSeconds = new Histogram({
    name: 'ferry_queue_wait_seconds', help: 'Wait of the oldest request of each batch before dispatch', labelNames: ['model'],
    buckets: latencyBuckets, registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'ferry_batch_size', help: 'Requests per invocation', labelNames: ['model', 'reason'],
    buckets: [1, 2, 4, 8, 16, 32, 64], registers: [this.registry],
  });
  readonly invocations = new Counter({
    name: 'ferry_invocations_total', help: 'Function invocations by outcome', labelNames: ['model', 'outcome'], registers: [this.registry],
  });
  readonly coldStarts = new Counter({ name: 'ferry_cold_starts_total', help: 'Invocations that started an instance', labelNames: ['model'], registers: [this.registry] });
  readonly billedGbSeconds = new Counter({ name: 'ferry_billed_gb_seconds_total', help: 'Billed GB-seconds', labelNames: ['model'], registers: [this.registry] });
  readonly costUsd = new Counter({ name: 'ferry_cost_usd_total', help: 'Billed cost in USD (compute + requests)', labelNames: ['model'], registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'ferry_queue_depth', help: 'Requests waiting in the queue', labelNames: ['model'], registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'ferry_invocations_in_flight', help: 'Invocations running now', registers: [this.registry] });
  readonly errors = new Counter({ name: 'ferry_errors_total', help: 'Requests answered with an error, by code', labelNames: ['model', 'code'], registers: [this.registry] });
  readonly config = new Gauge({
    name: 'ferry_config', help: 'Configuration in force (batch_size, processes, threads_per_process, memory_mb, slo_ms)',
    labelNames: ['model', 'key'], registers: [this.registry],
  });

  readonly tuningEvents = new Counter({
    name: 'ferry_tuning_events_total', help: 'Tuning decisions: evaluated, applied, change-point', labelNames: ['model', 'kind'], registers: [this.registry],
  });
  readonly tuningCostPerRequest = new Gauge({
    name: 'ferry_tuning_cost_usd_per_request', help: 'Cost per request measured over the last tuning window', labelNames: ['model'], registers: [this.registry],
  });
  readonly tuningP99Ms = new Gauge({
    name: 'ferry_tuning_p99_ms', help: 'p99 latency measured over the last tuning window', labelNames: ['model'], registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  setConfig(model: string, config: ModelConfig): void {
    this.config.set({ model, key: 'batch_size' }, config.batchSize);
    this.config.set({ model, key: 'processes' }, config.processes);
    this.config.set({ model, key: 'threads_per_process' }, config.threadsPerProcess);
    this.config.set({ model, key: 'memory_mb' }, config.memoryMb);
    this.config.set({ model, key: 'slo_ms' }, config.sloMs);
  }

  recordBilling(model: string, billing: InvocationBilling): void {
    if (billing.initDurationMs !== undefined) this.coldStarts.inc({ model });
    this.billedGbSeconds.inc({ model }, (billing.billedDurationMs / 1000) * (billing.memoryMb / 1024));
    this.costUsd.inc({ model }, billing.costUsd);
  }
}
