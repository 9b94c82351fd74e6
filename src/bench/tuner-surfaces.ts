import { readFileSync } from 'node:fs';
import { billedDurationMs, invocationCostUsd } from '../core/billing.js';
import { FerryError } from '../core/errors.js';
import type { Config, ConfigSpace } from '../core/config-space.js';
import { LatencyModel, type LatencyRow } from '../core/latency-model.js';
import { vcpusForMemory } from '../core/pricing.js';

/**
 * True (noise-free) cost and p99 of every configuration, modelled from a measured profile
 * (`ferry profile --json`, e.g. profiles/mobilenetv2.json: batch 1..32 x processes 1,2,4 x
 * vCPU share 0.25..2 on a 2-core machine; rows with threadsPerProcess = 1 only).
 *
 * Assumptions, all stated here:
 * 1-5. Service time of a batch: src/core/latency-model.ts (its assumptions 1-5).
 * 6. Batching (ferry's gateway, src/core/batching-policy.ts): a batch is sent when full, or
 *    when waiting longer would make its oldest request miss the SLO, planning with the p99
 *    service time of the batch it would send and keeping 10% of the SLO as a margin. So
 *    the dispatched batch is b_eff = min(b, b*), where b* fills the planned budget:
 *    (b* - 1) / rate + p99 service(b*) = 0.9 SLO (b_eff = 1 if even one request cannot).
 *    Cost per request = cost of one invocation of b_eff billed for its p50 service time
 *    (billing.ts, x86_64), divided by b_eff.
 *    p99 = max((b_eff - 1) / rate + p99 service(b_eff), p99 service(b)): Poisson bursts fill
 *    a batch of the configured size b now and then, so a b whose own service time breaks
 *    the SLO is infeasible even if typical batches are smaller. The point's meanBatchSize
 *    is b_eff: what the gateway's window reports as requests per invocation.
 * 7. Capacity: at most `maxInstances` concurrent instances, each serving b_eff requests per
 *    p50 service time. A configuration below the arrival rate is overloaded: measured over a
 *    60 s window its queue grows without bound, and its p99 gains 0.99 * 60 s * (rate /
 *    capacity - 1) (the wait of a request near the window's end). Cold starts are ignored.
 */
/** The profile cells the surfaces are built from (src/models/profile.ts rows carry these and more). */
export type ProfileRow = LatencyRow;

export interface Profile {
  model: string;
  rows: ProfileRow[];
}

export interface SurfacePoint {
  memoryMb: number;
  batchSize: number;
  processes: number;
  costUsd: number;
  p99Ms: number;
  /** Mean requests per dispatched batch (optional in a surface file): what a window measures besides cost and p99. */
  meanBatchSize?: number;
}

export interface SurfaceCase {
  model: string;
  arrivalRatePerS: number;
  sloMs: number;
  points: SurfacePoint[];
}

export interface SurfaceFile {
  cases: SurfaceCase[];
}

export const defaultProfileUrl = new URL('../../profiles/mobilenetv2.json', import.meta.url);

export function loadProfile(path: string | URL = defaultProfileUrl): Profile {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  return { model: parsed.model, rows: parsed.rows.filter((r) => r.threadsPerProcess === 1) };
}

/** Kept under its old name for the benchmark's callers: the one latency model lives in src/core/latency-model.ts. */
export { LatencyModel as ServiceModel } from '../core/latency-model.js';

export interface SurfaceOptions {
  arrivalRatePerS: number;
  sloMs: number;
  /** @default 10 */
  maxInstances?: number;
  /** Fraction of the SLO the gateway keeps free when capping the wait. @default 0.1 */
  safetyMargin?: number;
}

/** What a surface needs of a latency model: a batch's p50 and p99 (LatencyModel, or a synthetic one). */
export type ServiceTimes = Pick<LatencyModel, 'serviceMs'>;

/** Assumptions 6 and 7: one configuration's true cost per request and p99. */
export function surfacePoint(model: ServiceTimes, config: Config, options: SurfaceOptions): SurfacePoint {
  const rate = options.arrivalRatePerS;
  const share = vcpusForMemory(config.memoryMb);
  const budgetMs = (1 - (options.safetyMargin ?? 0.1)) * options.sloMs;
  const planned = (n: number) => ((n - 1) / rate) * 1000 + model.serviceMs(n, config.processes, share).p99Ms;
  let effectiveBatch = config.batchSize;
  if (planned(config.batchSize) > budgetMs) {
    // Bisection for b* in [1, b] (planned time grows with the batch).
    let [low, high] = [1, config.batchSize];
    if (planned(1) > budgetMs) high = 1;
    for (let i = 0; i < 40 && high - low > 1e-3; i++) {
      const mid = (low + high) / 2;
      if (planned(mid) <= budgetMs) low = mid;
      else high = mid;
    }
    effectiveBatch = low;
  }
  const dispatched = model.serviceMs(effectiveBatch, config.processes, share);
  const full = model.serviceMs(config.batchSize, config.processes, share);
  const costUsd = invocationCostUsd(billedDurationMs(dispatched.p50Ms), config.memoryMb) / effectiveBatch;
  const capacityPerS = ((options.maxInstances ?? 10) * effectiveBatch) / (dispatched.p50Ms / 1000);
  const overloadMs = rate > capacityPerS ? 0.99 * 60_000 * (rate / capacityPerS - 1) : 0;
  const p99Ms = Math.max(((effectiveBatch - 1) / rate) * 1000 + dispatched.p99Ms, full.p99Ms) + overloadMs;
  return { ...config, costUsd, p99Ms, meanBatchSize: effectiveBatch };
}

export function buildSurface(profile: Profile, space: ConfigSpace, options: SurfaceOptions): SurfaceCase {
  const model = new LatencyModel(profile.rows);
  return {
    model: profile.model,
    arrivalRatePerS: options.arrivalRatePerS,
    sloMs: options.sloMs,
    points: space.configs.map((c) => surfacePoint(model, c, options)),
  };
}

export const defaultRates: readonly number[] = [5, 20, 50, 100];
export const defaultSlos: readonly number[] = [200, 500, 1000];

export function buildSurfaces(profile: Profile, space: ConfigSpace, rates = defaultRates, slos = defaultSlos): SurfaceFile {
  return { cases: rates.flatMap((arrivalRatePerS) => slos.map((sloMs) => buildSurface(profile, space, { arrivalRatePerS, sloMs }))) };
}

/** Reads a surface file (it comes from outside, so its shape is checked). */
export function parseSurfaceFile(text: string, name = 'the surface file'): SurfaceFile {
  const fail = (what: string): never => {
    throw new FerryError('INVALID_ARGUMENT', `Expected ${name} to ${what}`);
  };
  let parsed: SurfaceFile;
  try {
    parsed = JSON.parse(text) as SurfaceFile;
  } catch (error) {
    return fail(`be JSON (${(error as Error).message})`);
  }
  const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!parsed || !Array.isArray(parsed.cases) || parsed.cases.length === 0) fail('hold { "cases": [ ... ] } with at least one case');
  for (const c of parsed.cases) {
    if (!c || !ok(c.arrivalRatePerS) || !ok(c.sloMs) || !Array.isArray(c.points) || c.points.length === 0) {
      fail('give every case a positive arrivalRatePerS and sloMs and a non-empty points list');
    }
    if (c.points.some((p) => !p || ![p.memoryMb, p.batchSize, p.processes, p.costUsd, p.p99Ms].every(ok))) {
      fail(`give every point of case ${c.arrivalRatePerS} req/s, ${c.sloMs} ms positive memoryMb, batchSize, processes, costUsd and p99Ms`);
    }
    if (c.points.some((p) => p.meanBatchSize !== undefined && !(ok(p.meanBatchSize) && p.meanBatchSize <= p.batchSize))) {
      fail(`give meanBatchSize, where present, as a positive number no larger than batchSize (case ${c.arrivalRatePerS} req/s, ${c.sloMs} ms)`);
    }
    if (!c.points.some((p) => p.p99Ms <= c.sloMs)) fail(`have a feasible point (p99Ms <= sloMs) in case ${c.arrivalRatePerS} req/s, ${c.sloMs} ms`);
    c.model = typeof c.model === 'string' ? c.model : 'unknown';
  }
  return parsed;
}
