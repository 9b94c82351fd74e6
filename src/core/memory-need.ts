import type { Config } from './config-space.js';

/**
 * What a function instance of one model needs in memory, as a linear envelope of Max
 * Memory Used measured on the embedded runtime (`ferry bench memory`): the instance and its
 * handler (`baseMb`), one worker process with its ONNX session each (`perProcessMb`), and
 * each item of the batch in flight (`perItemMb`: the decoded input and the activations ONNX
 * Runtime allocates for it, wherever the batch is split across processes).
 */
export interface MemoryNeed {
  baseMb: number;
  perProcessMb: number;
  perItemMb: number;
}

/** Memory an instance running `batchSize` items over `processes` workers needs, in MB. */
export function memoryNeedMb(need: MemoryNeed, processes: number, batchSize: number): number {
  return need.baseMb + need.perProcessMb * processes + need.perItemMb * batchSize;
}

/** Whether the configuration's batch fits in its memory size (more is killed out of memory). */
export function fitsInMemory(need: MemoryNeed, config: Config): boolean {
  return memoryNeedMb(need, config.processes, config.batchSize) <= config.memoryMb;
}

/** Why the configuration does not fit, for an error message; undefined when it does. */
export function memoryShortfall(need: MemoryNeed, config: Config): string | undefined {
  const needMb = Math.ceil(memoryNeedMb(need, config.processes, config.batchSize));
  if (needMb <= config.memoryMb) return undefined;
  return `${config.memoryMb} MB with batch ${config.batchSize} on ${config.processes} process(es) needs about ${needMb} MB ` +
    `(${need.baseMb} + ${need.perProcessMb} per process + ${need.perItemMb} per item)`;
}

/** The largest batch that fits `processes` workers in `memoryMb` (0 if even none does). */
export function largestFittingBatch(need: MemoryNeed, memoryMb: number, processes: number): number {
  const roomMb = memoryMb - memoryNeedMb(need, processes, 0);
  if (roomMb < 0) return 0;
  return need.perItemMb > 0 ? Math.floor(roomMb / need.perItemMb) : Infinity;
}
