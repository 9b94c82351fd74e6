import { combineObservers, type ModelTuningEvent, type ServingObserver } from '../serving/events.js';
import { Gateway, type GatewayOptions } from '../serving/gateway.js';
import { GatewayMetrics } from './metrics.js';

/** A gateway with /metrics subscribed (and any other observers given), as the HTTP server wants it. */
export function meteredGateway(options: Omit<GatewayOptions, 'observer'> & { observers?: ServingObserver[] }): { gateway: Gateway; metrics: GatewayMetrics } {
  const metrics = new GatewayMetrics();
  const { observers = [], ...rest } = options;
  const gateway = new Gateway({ ...rest, observer: combineObservers([metricsObserver(metrics), ...observers]) });
  watchGateway(metrics, gateway);
  return { gateway, metrics };
}

/**
 * /metrics as a subscriber of serving: batches, invocations (warm-ups included: they are
 * billed like any other) and configurations come in through the observer calls; queue
 * depths and invocations in flight are read from the gateway when /metrics is scraped.
 */
export function metricsObserver(metrics: GatewayMetrics): ServingObserver {
  return {
    onBatch: (model, size, reason, oldestWaitMs) => metrics.model(model).recordBatch(size, reason, oldestWaitMs),
    onInvocation: (record) => metrics.model(record.model).recordInvocation(record.outcome, record.billing),
    onConfig: (model, config) => metrics.setConfig(model, config),
  };
}

/** Lets the scrape-time gauges read the gateway's state. */
export function watchGateway(metrics: GatewayMetrics, gateway: Gateway): void {
  metrics.watch({
    get invocationsInFlight() {
      return gateway.invocationsInFlight;
    },
    *queueDepths() {
      for (const model of gateway.models()) yield [model, gateway.queueDepth(model)];
    },
  });
}

/** Tuning decisions as counters and gauges (these of the configuration in force, not of a trial on a slice). */
export function recordTuningEvent(metrics: GatewayMetrics, event: ModelTuningEvent): void {
  metrics.tuningEvents.inc({ model: event.model, kind: event.kind });
  if (event.kind === 'evaluated' && event.slice === undefined) {
    metrics.tuningCostPerRequest.set({ model: event.model }, event.evaluation.costUsdPerRequest);
    metrics.tuningP99Seconds.set({ model: event.model }, event.evaluation.p99Ms / 1000);
  }
}
