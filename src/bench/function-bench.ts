import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { median } from '../core/stats.js';
import { isItemError, type EventInput } from '../core/function-event.js';
import { createFunction } from '../function/handler.js';
import { getModel, sampleFile } from '../function/models/registry.js';
import type { WorkerMode } from '../function/worker-handle.js';

export interface FunctionBenchOptions {
  model: string;
  batches: number[];
  processes: number[];
  threads: number[];
  modes: WorkerMode[];
  /** Rounds over all configurations; the median round is reported. @default 3 */
  rounds: number;
  /** Wall time measured per configuration and round. @default 1000 */
  cellMs: number;
  cacheDir: string;
}

export interface FunctionBenchRow {
  mode: WorkerMode;
  batch: number;
  processes: number;
  threadsPerProcess: number;
  itemsPerS: number;
  /** items/s divided by 1 process x 1 thread at the same batch size and mode, same run. */
  ratio: number;
}

/**
 * Throughput of the function over processes x threads x batch size, each as a ratio to
 * 1 process x 1 thread measured in the same run. Configurations and worker kinds are
 * interleaved round by round so that a noisy neighbour slows all of them, not one.
 */
export async function runFunctionBench(options: FunctionBenchOptions, log: (line: string) => void): Promise<FunctionBenchRow[]> {
  const spec = getModel(options.model);
  const images = await Promise.all(spec.samples.map(async (name) => (await readFile(sampleFile(name))).toString('base64')));
  const inputsFor = (batch: number): EventInput[] => Array.from({ length: batch }, (_, i) => ({ image: images[i % images.length]! }));
  const functions = new Map(options.modes.map((mode) => [mode, createFunction({ cacheDir: options.cacheDir, workerMode: mode })]));
  const samples = new Map<string, number[]>();
  const keyOf = (mode: WorkerMode, batch: number, processes: number, threads: number) => `${mode}/${batch}/${processes}/${threads}`;
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const [mode, fn] of functions) {
        for (const threads of options.threads) {
          for (const processes of options.processes) {
            for (const batch of options.batches) {
              const event = { model: spec.name, inputs: inputsFor(batch), processes, threadsPerProcess: threads };
              const warm = await fn.handler(event);
              if (warm.outputs.some(isItemError)) throw new Error('benchmark input failed');
              let items = 0;
              const startMs = performance.now();
              while (performance.now() - startMs < options.cellMs || items < batch * 3) {
                await fn.handler(event);
                items += batch;
              }
              const itemsPerS = items / ((performance.now() - startMs) / 1000);
              const key = keyOf(mode, batch, processes, threads);
              samples.set(key, [...(samples.get(key) ?? []), itemsPerS]);
              log(`round ${round + 1}/${options.rounds} ${mode}: batch ${batch}, ${processes}p x ${threads}t: ${itemsPerS.toFixed(1)} items/s`);
            }
          }
        }
      }
    }
  } finally {
    await Promise.all([...functions.values()].map((fn) => fn.close()));
  }
  const rows: FunctionBenchRow[] = [];
  for (const mode of options.modes) {
    for (const batch of options.batches) {
      const base = median(samples.get(keyOf(mode, batch, 1, 1)) ?? [Number.NaN]);
      for (const processes of options.processes) {
        for (const threads of options.threads) {
          const itemsPerS = median(samples.get(keyOf(mode, batch, processes, threads))!);
          rows.push({ mode, batch, processes, threadsPerProcess: threads, itemsPerS: round1(itemsPerS), ratio: round2(itemsPerS / base) });
        }
      }
    }
  }
  return rows;
}

export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const round2 = (v: number) => Math.round(v * 100) / 100;
