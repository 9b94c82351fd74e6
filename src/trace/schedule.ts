import { FerryError } from '../core/errors.js';

export interface ScheduleOptions {
  /** Replay this many times faster than the trace (10 = ten times faster). @default 1 */
  timeScale?: number;
  /** Skip the trace's first seconds (trace time, before scaling). @default 0 */
  startS?: number;
  /** Keep only what falls within this many seconds of replay time. @default no limit */
  durationS?: number;
}

/**
 * When each request is due, in ms of replay time from the replay's start. Offsets are
 * relative to the first arrival at or after `startS` (so the replay begins at once), divided
 * by the time scale, and cut at `durationS` of replay time (an arrival exactly at the cut
 * is left out, so `durationS` seconds hold the arrivals of [0, durationS)).
 */
export function buildSchedule(arrivalsMs: readonly number[], options: ScheduleOptions = {}): number[] {
  const timeScale = options.timeScale ?? 1;
  const startS = options.startS ?? 0;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new FerryError('INVALID_ARGUMENT', `Expected the time scale to be a positive number, got ${timeScale}`);
  if (!(startS >= 0)) throw new FerryError('INVALID_ARGUMENT', `Expected the start offset to be 0 or more seconds, got ${startS}`);
  if (options.durationS !== undefined && !(options.durationS > 0)) {
    throw new FerryError('INVALID_ARGUMENT', `Expected the duration to be a positive number of seconds, got ${options.durationS}`);
  }
  if (arrivalsMs.length === 0) return [];
  const fromMs = arrivalsMs[0]! + startS * 1000;
  const first = arrivalsMs.find((t) => t >= fromMs);
  if (first === undefined) return [];
  const cutMs = options.durationS === undefined ? Infinity : options.durationS * 1000;
  const schedule: number[] = [];
  for (const t of arrivalsMs) {
    if (t < first) continue;
    const offsetMs = (t - first) / timeScale;
    if (offsetMs >= cutMs) break;
    schedule.push(offsetMs);
  }
  return schedule;
}

/** Requests per second a schedule offers, over its span (undefined for fewer than 2 requests). */
export function offeredRate(schedule: readonly number[]): number | undefined {
  if (schedule.length < 2) return undefined;
  const spanMs = schedule[schedule.length - 1]! - schedule[0]!;
  return spanMs > 0 ? ((schedule.length - 1) * 1000) / spanMs : undefined;
}

/**
 * A schedule played end to end until it covers at least `minSpanMs`: copy k is shifted by
 * k x (span + the mean gap), so the seam between copies is one ordinary gap rather than
 * two arrivals at the same instant. A short trace at a high time scale (3 minutes of
 * conv.csv at 20x) becomes an hour of the same traffic pattern, repeated.
 */
export function repeatSchedule(scheduleMs: readonly number[], minSpanMs: number): { scheduleMs: number[]; copies: number } {
  if (scheduleMs.length < 2) return { scheduleMs: [...scheduleMs], copies: 1 };
  const firstMs = scheduleMs[0]!;
  const spanMs = scheduleMs[scheduleMs.length - 1]! - firstMs;
  if (spanMs >= minSpanMs || !(spanMs > 0)) return { scheduleMs: [...scheduleMs], copies: 1 };
  const periodMs = spanMs + spanMs / (scheduleMs.length - 1);
  const copies = Math.ceil((minSpanMs - spanMs) / periodMs) + 1;
  const out = new Array<number>(scheduleMs.length * copies);
  for (let k = 0; k < copies; k++) {
    for (let i = 0; i < scheduleMs.length; i++) out[k * scheduleMs.length + i] = scheduleMs[i]! + k * periodMs;
  }
  return { scheduleMs: out, copies };
}

/**
 * The busiest rate over any window of `windowMs` (sliding, so a burst that straddles two
 * fixed bins is not halved), in requests per second: the 1-minute peak by default.
 */
export function peakRatePerS(scheduleMs: readonly number[], windowMs = 60_000): number {
  let peak = 0;
  let from = 0;
  for (let to = 0; to < scheduleMs.length; to++) {
    while (scheduleMs[to]! - scheduleMs[from]! >= windowMs) from++;
    peak = Math.max(peak, to - from + 1);
  }
  return peak / (windowMs / 1000);
}
