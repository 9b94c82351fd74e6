import { isItemError } from '../../core/function-event.js';
import type { Policy, PolicyContext } from '../simulate.js';
import { describeConfig, modelConfig } from './static.js';

export interface AimdOptions {
  memoryMb?: number;
  /** Batch size limit (ferry's largest). @default 64 */
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
 * alone. A batch meets the objective when every request in it was answered within the SLO
 * (arrival to answer, what ferry's SLO is on); the batch size applies from the next batch.
 */
export function aimdPolicy(options: AimdOptions = {}): Policy {
  const memoryMb = options.memoryMb ?? 3008;
  const maxBatchSize = options.maxBatchSize ?? 64;
  const increase = options.increase ?? 1;
  const factor = options.decreaseFactor ?? 0.9;
  return {
    name: 'aimd',
    create: (setup) => {
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
      // One answer per request, and a batch's requests settle at one instant: answers are
      // grouped by instant, and a group is judged (grow, or shrink once) when the next begins.
      let groupAtMs = -1;
      let groupMissed = false;
      const judge = () => {
        if (groupAtMs < 0) return;
        size = groupMissed ? Math.max(1, size * factor) : Math.min(maxBatchSize, size + increase);
        apply();
      };
      return {
        config: modelConfig({ memoryMb, batchSize: 1, processes: 1, threadsPerProcess: 1 }, setup.sloMs),
        observer: {
          onAnswer: (_model, _arrivalMs, latencyMs, answer) => {
            const nowMs = context!.clock.nowMs();
            if (nowMs !== groupAtMs) {
              judge();
              groupAtMs = nowMs;
              groupMissed = false;
            }
            if (isItemError(answer) || latencyMs > setup.sloMs) groupMissed = true;
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
