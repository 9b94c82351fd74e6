import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { createRequire } from 'node:module';
import { quantile } from '../../core/stats.js';
import { isItemError, type EventInput } from '../../core/function-event.js';
import { createFunction } from '../../function/handler.js';
import { getModel, sampleFile } from '../../function/models/registry.js';
import type { Profile, ProfileRow } from '../../models/profile.js';
import { createCpuQuota } from './cpu-quota.js';

export interface ProfileOptions {
  model: string;
  batches: number[];
  processes: number[];
  threads: number[];
  vcpus: number[];
  repeat: number;
  /** Untimed runs before each measured cell. @default 2 */
  warmup?: number;
  cpuPeriodUs?: number;
  cacheDir: string;
}

export type { Profile, ProfileRow } from '../../models/profile.js';

export type ProgressListener = (done: number, total: number, label: string) => void;

/**
 * Measures a model's real latency over batch x processes x threads x CPU share, through the
 * same function handler the runtime invokes (image inputs, so decoding is included).
 */
export async function runProfile(options: ProfileOptions, onProgress: ProgressListener = () => undefined): Promise<Profile> {
  const spec = getModel(options.model);
  const images = await Promise.all(spec.samples.map(async (name) => (await readFile(sampleFile(name))).toString('base64')));
  const inputsFor = (batch: number): EventInput[] => Array.from({ length: batch }, (_, i) => ({ image: images[i % images.length]! }));
  const cores = os.cpus().length;
  const periodUs = options.cpuPeriodUs ?? 100_000;
  const total = options.vcpus.length * options.processes.length * options.threads.length * options.batches.length;
  const rows: ProfileRow[] = [];
  const quotaNotes = new Set<string>();
  let enforced = true;
  const inference = createFunction({ cacheDir: options.cacheDir, workerMode: 'process' });
  try {
    for (const vcpus of options.vcpus) {
      const quota = await createCpuQuota({ vcpus, periodUs, name: `profile-${process.pid}-${vcpus}` });
      enforced &&= quota.enforced;
      quotaNotes.add(quota.enforced ? quota.reason.replace(/ \d+\/\d+ us| \d+ \d+$/, '') : `not enforced: ${quota.reason}`);
      try {
        for (const processes of options.processes) {
          for (const threads of options.threads) {
            for (const batch of options.batches) {
              onProgress(rows.length, total, `${vcpus} vCPU, ${processes}p x ${threads}t, batch ${batch}`);
              const event = { model: spec.name, inputs: inputsFor(batch), processes, threadsPerProcess: threads };
              const first = await inference.handler(event);
              const failed = first.outputs.find(isItemError);
              if (failed) throw new Error(`profiling input failed: ${failed.error.code}: ${failed.error.message}`);
              for (const pid of inference.workerPids(spec.name)) await quota.add(pid);
              for (let i = 1; i < (options.warmup ?? 2); i++) await inference.handler(event);
              const latenciesMs: number[] = [];
              for (let i = 0; i < options.repeat; i++) latenciesMs.push((await inference.handler(event)).timings.totalMs);
              const totalS = latenciesMs.reduce((a, b) => a + b, 0) / 1000;
              rows.push({
                batch, processes, threadsPerProcess: threads, vcpus,
                vcpusEffective: Math.min(vcpus, cores),
                p50Ms: round(quantile(latenciesMs, 0.5)),
                p99Ms: round(quantile(latenciesMs, 0.99)),
                itemsPerS: round((batch * options.repeat) / totalS),
              });
            }
          }
        }
      } finally {
        await inference.close();
        await quota.close();
      }
    }
  } finally {
    await inference.close();
  }
  onProgress(rows.length, total, 'done');
  return {
    model: spec.name,
    createdAt: new Date().toISOString(),
    machine: {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cores,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      onnxruntime: onnxruntimeVersion(),
      cpuQuota: [...quotaNotes].join('; '),
      cpuQuotaEnforced: enforced,
      cpuPeriodUs: periodUs,
    },
    input: 'image',
    samples: spec.samples,
    repeat: options.repeat,
    rows,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function onnxruntimeVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}
