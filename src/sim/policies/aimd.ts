import { largestFittingBatch } from '../../core/memory-need.js';
import type { Policy, PolicyContext } from '../simulate.js';
import { describeConfig, modelConfig } from './static.js';

export interface AimdOptions {
  memoryMb?: number;
  /** Batch size limit (ferry's largest), lowered to the largest that fits the memory size. @default 64 */
  maxBatchSize?: number;
  /** Added to the batch size after a batch that met the SLO. @default 1 */
  increase?: number;
  /** The batch size is multiplied by this after a miss (Clipper: 0.9). @default 0.9 */
  decreaseFactor?: number;
}

/**
 * Clipper's adaptive batching (Crankshaw et al., "Clipper: A Low-Latency Online
 * Prediction Serving System", NSDI '17, section 4.3): additive increase of the maximum
 * batch size while batches meet the latency objective, multiplicative decrease (by 10%) as
 * soon as one misses. Fixed memory, one process, one thread, as Clipper tunes the batch
 * alone. As in Clipper, a batch meets the objective when its own latency (dispatch to
 * answer: the invocation, not the time its requests queued) is within the SLO, and the
 * invocation succeeded; the batch size applies from the next batch. Judging by arrival to
 * answer instead collapses under load: once a queue builds, every batch misses however
 * fast it runs, the size shrinks to 1, and batch 1 never drains the queue again.
 */
export function aimdPolicy(options: AimdOptions = {}): Policy {
  const memoryMb = options.memoryMb ?? 3008;
  const largestBatchSize = options.maxBatchSize ?? 64;
  const increase = options.increase ?? 1;
  const factor = options.decreaseFactor ?? 0.9;
  return {
    name: 'aimd',
    create: (setup) => {
      // A competent deployment caps the batch at what fits the memory size.
      const need = setup.platform.memoryNeedMb;
      const maxBatchSize = Math.max(1, need ? Math.min(largestBatchSize, largestFittingBatch(need, memoryMb, 1)) : largestBatchSize);
      let context: PolicyContext | undefined;
      // Fractional between steps, as Clipper keeps it; the batcher gets its floor.
      let size = 1;
      let largest = 1;
      let changes = 0;
      const apply = () => {
        const gateway = context?.gateway;
        if (!gateway) return;
        const batchSize = Math.max(1, Math.min(maxBatchSize, Math.floor(size)));
        const current = gateway.config(setup.model);
        if (current.batchSize === batchSize) return;
        changes++;
        largest = Math.max(largest, batchSize);
        gateway.applyConfig(setup.model, { ...current, batchSize }, () => undefined);
      };
      return {
        config: modelConfig({ memoryMb, batchSize: 1, processes: 1, threadsPerProcess: 1 }, setup.sloMs),
        observer: {
          onInvocation: (record) => {
            if (record.warmup || record.batchSize === 0) return;
            const missed = record.outcome !== 'ok' || record.serviceMs > setup.sloMs;
            size = missed ? Math.max(1, size * factor) : Math.min(maxBatchSize, size + increase);
            apply();
          },
        },
        start: (c) => {
          context = c;
        },
        describe: () => `${describeConfig({ memoryMb, batchSize: Math.floor(size), processes: 1, threadsPerProcess: 1 })} at the end (largest ${largest}, ${changes} changes)`,
      };
    },
  };
}
