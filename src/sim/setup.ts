import { readFileSync } from 'node:fs';
import { LatencyModel } from '../core/latency-model.js';
import { modelInfo } from '../models/catalog.js';
import { loadProfile, sampleFile } from '../models/files.js';
import { profileServiceTimePrior } from '../serving/profile-prior.js';
import { loadArrivals } from '../trace/load.js';
import { buildSchedule } from '../trace/schedule.js';
import type { SimulationSetup } from './simulate.js';

export interface SetupFlags {
  trace: string;
  model: string;
  sloMs: number;
  seed: number;
  timeScale?: number;
  startS?: number;
  durationS?: number;
  profile?: string;
  /** Cores shared by the instances (the embedded runtime's host); absent: independent, as on Lambda. */
  hostCores?: number;
  /** With hostCores: other programs' runnable threads on that host (measured live). @default 0 */
  hostBackgroundCores?: number;
  /** Invocations in flight at once: the gateway's bound and the platform's limit. @default 1000 */
  concurrency?: number;
  keepAliveMs?: number;
}

/** What a simulation of `flags` needs: the schedule, the latency model, the platform. */
export function buildSetup(flags: SetupFlags): { setup: SimulationSetup; traceLabel: string } {
  const info = modelInfo(flags.model);
  const profile = loadProfile(flags.model, flags.profile);
  const latency = new LatencyModel(profile.rows);
  const { arrivalsMs, label } = loadArrivals(flags.trace);
  const scheduleMs = buildSchedule(arrivalsMs, {
    ...(flags.timeScale !== undefined ? { timeScale: flags.timeScale } : {}),
    ...(flags.startS !== undefined ? { startS: flags.startS } : {}),
    ...(flags.durationS !== undefined ? { durationS: flags.durationS } : {}),
  });
  const concurrency = flags.concurrency ?? 1000;
  // What one request adds to a payload: its sample images, base64, as a client sends them.
  const sampleBytes = info.samples.map((name) => Math.ceil(readFileSync(sampleFile(name)).length / 3) * 4 + 16);
  const payloadBytesPerItem = Math.round(sampleBytes.reduce((a, b) => a + b, 0) / sampleBytes.length);
  return {
    traceLabel: label,
    setup: {
      model: flags.model, scheduleMs, sloMs: flags.sloMs, seed: flags.seed, latency,
      platform: {
        concurrency, memoryNeedMb: info.memoryNeedMb,
        ...(flags.hostCores !== undefined ? { hostCores: flags.hostCores } : {}),
        ...(flags.hostBackgroundCores !== undefined ? { hostBackgroundCores: flags.hostBackgroundCores } : {}),
        ...(flags.keepAliveMs !== undefined ? { keepAliveMs: flags.keepAliveMs } : {}),
      },
      maxInFlight: concurrency,
      // `ferry serve` warms as many instances as it may use; on Lambda's scale, one.
      warmInstances: flags.hostCores !== undefined ? Math.min(concurrency, 4) : 1,
      payloadBytesPerItem,
      serviceTimePrior: profileServiceTimePrior(latency),
    },
  };
}
