import type { LatencyModel } from '../core/latency-model.js';
import type { ServiceTimePriorFor } from './model-batcher.js';

/**
 * The batcher's first guess of a configuration's service time, from the model's measured
 * profile: the line through the profile's p99 at batch 1 and at the configured batch size
 * (plus the invocation's own overhead), so that before anything is measured the batcher
 * plans for a slow-ish batch of this configuration rather than for a fixed 150 ms.
 */
export function profileServiceTimePrior(latency: LatencyModel, overheadMs = 2): ServiceTimePriorFor {
  return (config) => {
    const one = latency.forMemory(1, config.processes, config.threadsPerProcess, config.memoryMb).p99Ms;
    if (config.batchSize <= 1) return { fixedMs: one + overheadMs, perItemMs: 0 };
    const full = latency.forMemory(config.batchSize, config.processes, config.threadsPerProcess, config.memoryMb).p99Ms;
    const perItemMs = Math.max(0, (full - one) / (config.batchSize - 1));
    return { fixedMs: one - perItemMs + overheadMs, perItemMs };
  };
}
