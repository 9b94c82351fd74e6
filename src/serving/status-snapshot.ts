import type { TuningConfig } from '../core/tuning-controller.js';
import type { BatchReason, ModelTuningEvent } from './events.js';
import type { ConfigChange, ModelRecord } from './status-recorder.js';
import type { StatusWindow } from './status-window.js';

/** One window as /v2/ferry/status answers it. Rates and fractions are null when nothing was answered. */
export interface WindowStatus {
  startMs: number;
  /** The window's end, or now for the open one. */
  endMs: number;
  open: boolean;
  arrivalRatePerS: number;
  answered: number;
  p50Ms: number | null;
  p99Ms: number | null;
  sloAttainment: number | null;
  throttled: number;
  failed: number;
  invocations: number;
  warmups: number;
  coldStarts: number;
  throttledInvocations: number;
  failedInvocations: number;
  costUsd: number;
  /** Billed cost (warm-ups included) per 1,000 requests answered. */
  costUsdPer1k: number | null;
  /** The per-request estimate for the same requests, per 1,000. */
  baselineCostUsdPer1k: number | null;
  batches: Record<BatchReason, { count: number; items: number }>;
  meanBatchSize: number | null;
  config: TuningConfig;
}

export interface ModelStatus {
  model: string;
  config: { memoryMb: number; batchSize: number; processes: number; threadsPerProcess: number; sloMs: number; maxWaitMs?: number };
  totals: ModelRecord['totals'] & {
    sloAttainment: number | null;
    costUsdPer1k: number | null;
    baselineCostUsdPer1k: number | null;
    /** What the per-request estimate would have cost minus what was billed, so far. */
    savingUsd: number | null;
    savingFraction: number | null;
  };
  /** null when the model has no profile to estimate from. */
  baseline: null | {
    label: string;
    memoryMb: number;
    batchSize: number;
    processes: number;
    threadsPerProcess: number;
    serviceMs: number;
    /** Measured handler time over the profile's prediction, for the configurations served. */
    hostScale: number;
    costUsdPerRequest: number;
  };
  windows: WindowStatus[];
  /** Newest first. */
  configChanges: ConfigChange[];
  /** Newest first. */
  tuning: ModelTuningEvent[];
  /** When the tuner's detector saw the arrival rate shift (newest first). */
  changePointsMs: number[];
}

const per1k = (usd: number, requests: number) => (requests > 0 ? (usd / requests) * 1000 : null);

function windowStatus(w: StatusWindow, nowMs: number, windowMs: number, reasons: readonly BatchReason[], estimated: boolean): WindowStatus {
  const open = nowMs < w.startMs + windowMs;
  const endMs = open ? nowMs : w.startMs + windowMs;
  let batchCount = 0;
  let batchItems = 0;
  const batches = {} as WindowStatus['batches'];
  for (const reason of reasons) {
    const tally = w.batches.get(reason)!;
    batches[reason] = { count: tally.count, items: tally.items };
    batchCount += tally.count;
    batchItems += tally.items;
  }
  return {
    startMs: w.startMs, endMs, open,
    arrivalRatePerS: w.arrivals / Math.max(1e-3, (endMs - w.startMs) / 1000),
    answered: w.answered,
    p50Ms: w.latencyQuantileMs(0.5) ?? null,
    p99Ms: w.latencyQuantileMs(0.99) ?? null,
    sloAttainment: w.answered > 0 ? w.withinSlo / w.answered : null,
    throttled: w.throttled, failed: w.failed,
    invocations: w.invocations, warmups: w.warmups, coldStarts: w.coldStarts,
    throttledInvocations: w.throttledInvocations, failedInvocations: w.failedInvocations,
    costUsd: w.costUsd,
    costUsdPer1k: per1k(w.costUsd, w.answered),
    baselineCostUsdPer1k: estimated ? per1k(w.baselineCostUsd, w.answered) : null,
    batches,
    meanBatchSize: batchCount > 0 ? batchItems / batchCount : null,
    config: w.config,
  };
}

/** The JSON of one model's record (a copy: the caller may keep or serialize it). */
export function statusOfModel(
  record: ModelRecord,
  context: { nowMs: number; windowMs: number; perRequestConfig: Omit<NonNullable<ModelStatus['baseline']>, 'label' | 'serviceMs' | 'hostScale' | 'costUsdPerRequest'>; batchReasons: readonly BatchReason[] },
): ModelStatus {
  const { totals, estimate, config } = record;
  const hasBaseline = estimate !== undefined && totals.answered > 0;
  return {
    model: record.model,
    config: {
      memoryMb: config.memoryMb, batchSize: config.batchSize, processes: config.processes, threadsPerProcess: config.threadsPerProcess, sloMs: config.sloMs,
      ...(config.maxWaitMs === undefined ? {} : { maxWaitMs: config.maxWaitMs }),
    },
    totals: {
      ...totals,
      sloAttainment: totals.answered > 0 ? totals.withinSlo / totals.answered : null,
      costUsdPer1k: per1k(totals.costUsd, totals.answered),
      baselineCostUsdPer1k: estimate ? per1k(totals.baselineCostUsd, totals.answered) : null,
      savingUsd: hasBaseline ? totals.baselineCostUsd - totals.costUsd : null,
      savingFraction: hasBaseline && totals.baselineCostUsd > 0 ? 1 - totals.costUsd / totals.baselineCostUsd : null,
    },
    baseline: estimate
      ? {
        label: 'estimate from the profile', ...context.perRequestConfig,
        serviceMs: estimate.serviceMs, hostScale: estimate.scale, costUsdPerRequest: estimate.costUsdPerRequest,
      }
      : null,
    windows: record.windows().map((w) => windowStatus(w, context.nowMs, context.windowMs, context.batchReasons, estimate !== undefined)),
    configChanges: record.configs.newestFirst(),
    tuning: record.tuning.newestFirst(),
    changePointsMs: record.changePointsMs.newestFirst(),
  };
}
