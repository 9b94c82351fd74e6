import type { TuningConfig } from '../core/tuning-controller.js';
import type { ModelTuningEvent, TuningEventSink } from '../serving/events.js';
import type { GatewayMetrics } from './metrics.js';
import { recordTuningEvent } from './metrics-observer.js';
import { TuningLog } from './tuning-log.js';

/**
 * The live subscribers of tuning decisions: the JSON-lines log (from which a restart
 * resumes), /metrics, and one readable line each on the console. Returns what closes the log.
 */
export function subscribeTuningOutput(sink: TuningEventSink, options: { metrics: GatewayMetrics; logFile?: string; print: (line: string) => void }): () => Promise<void> {
  const log = options.logFile ? new TuningLog(options.logFile) : undefined;
  sink.subscribe((event) => {
    log?.append(event);
    recordTuningEvent(options.metrics, event);
    options.print(`ferry tune ${event.model}: ${describeTuningEvent(event)}`);
  });
  return async () => {
    await log?.close();
  };
}

export function describeTuningEvent(event: ModelTuningEvent): string {
  const config = (c: TuningConfig) => `${c.memoryMb} MB, batch ${c.batchSize}, ${c.processes} process(es)`;
  switch (event.kind) {
    case 'evaluated':
      return `measured ${config(event.config)}${event.slice ? ` on ${(event.slice * 100).toFixed(0)}% of the traffic` : ''} at ${event.context.arrivalRatePerS.toFixed(1)} req/s over ${event.requests} requests: ` +
        `$${(event.evaluation.costUsdPerRequest * 1000).toFixed(5)} per 1,000 requests, p99 ${event.evaluation.p99Ms.toFixed(0)} ms, ` +
        `${(event.sloAttainment * 100).toFixed(1)}% within the SLO` +
        (event.evaluation.meanBatchSize === undefined ? '' : `, mean batch ${event.evaluation.meanBatchSize.toFixed(1)}`);
    case 'applied':
      return `applied ${config(event.config)}: ${event.reason}`;
    case 'change-point':
    case 'stopped':
      return event.reason;
  }
}
