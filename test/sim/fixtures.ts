import { LatencyModel, type LatencyRow } from '../../src/core/latency-model.js';
import type { SimulationSetup } from '../../src/sim/simulate.js';

/** One profile row at 1 vCPU, 1 process, 1 thread: the memory size that gives it is 1,769 MB. */
export const row = (batch: number, p50Ms: number, p99Ms = p50Ms, extra: Partial<LatencyRow> = {}): LatencyRow => ({
  batch, processes: 1, threadsPerProcess: 1, vcpus: 1, p50Ms, p99Ms, ...extra,
});

/** A latency model with p50 = p99 everywhere: every draw is exactly the p50, whatever the uniform. */
export function fixedLatency(msByBatch: Record<number, number>): LatencyModel {
  return new LatencyModel(Object.entries(msByBatch).map(([batch, ms]) => row(Number(batch), ms)));
}

/**
 * A small model whose batch time grows less than linearly (batching pays) and whose
 * service time scales with the vCPU share (rows at 0.5, 1 and 2 vCPUs), log-normal in
 * between p50 and p99.
 */
export function syntheticLatency(threads: 1 | 2 = 1, tail = 1.3, twoThreadFactor = 0.9): LatencyRow[] {
  const rows: LatencyRow[] = [];
  for (const vcpus of [0.5, 1, 2]) {
    for (const [batch, ms] of [[1, 20], [2, 30], [4, 48], [8, 84], [16, 150], [32, 280], [64, 540]] as const) {
      for (const processes of [1, 2, 4]) {
        // Processes split a batch; 2 threads help a little. Slower below 1 vCPU, faster above.
        const p50Ms = (ms / Math.min(processes, batch, Math.max(1, vcpus)) + 2) / Math.min(vcpus, 2) * (threads === 2 ? twoThreadFactor : 1);
        rows.push({ batch, processes, threadsPerProcess: threads, vcpus, p50Ms, p99Ms: p50Ms * tail });
      }
    }
  }
  return rows;
}

/** Both thread counts; `tail` = p99 / p50 (1: every draw is the p50); `twoThreadFactor` scales 2-thread times. */
export const syntheticModel = (tail = 1.3, twoThreadFactor = 0.9): LatencyModel =>
  new LatencyModel([...syntheticLatency(1, tail, twoThreadFactor), ...syntheticLatency(2, tail, twoThreadFactor)]);

/** A setup for simulatePolicy on Lambda's scale (independent instances). */
export function lambdaSetup(scheduleMs: readonly number[], overrides: Partial<SimulationSetup> = {}): SimulationSetup {
  return {
    model: 'synthetic', scheduleMs, sloMs: 300, seed: 7, latency: syntheticModel(),
    platform: { concurrency: 1000, memoryNeedMb: { baseMb: 100, perProcessMb: 125, perItemMb: 0 } },
    maxInFlight: 1000, warmInstances: 1, payloadBytesPerItem: 20_000,
    ...overrides,
  };
}
