import { FerryError } from '../core/errors.js';
import type { TraceCsv } from './trace-csv.js';

/** More intervals than this is a unit mistake (ms read as s), not a trace. */
export const maxIntervals = 50_000_000;
/** More arrivals than this would not fit in memory as one array of doubles comfortably. */
export const maxArrivals = 50_000_000;

/**
 * Arrival times (ms, any order) -> requests per interval of `intervalMs`, the first interval
 * starting at the earliest arrival (so a trace's leading silence is not counted). An
 * arrival at an interval's end belongs to the next one. Empty input: no intervals.
 */
export function binArrivals(arrivalsMs: readonly number[], intervalMs: number): number[] {
  checkInterval(intervalMs);
  if (arrivalsMs.length === 0) return [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const t of arrivalsMs) {
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const intervals = Math.floor((last - first) / intervalMs) + 1;
  if (!(intervals <= maxIntervals)) {
    throw new FerryError('INVALID_ARGUMENT', `Expected the arrivals to span at most ${maxIntervals} intervals of ${intervalMs / 1000} s, got ${(last - first) / 1000} s`);
  }
  const counts = new Array<number>(intervals).fill(0);
  for (const t of arrivalsMs) counts[Math.min(intervals - 1, Math.floor((t - first) / intervalMs))]! += 1;
  return counts;
}

/**
 * Per-interval counts -> arrival times (ms, ascending), deterministic: the k-th of the c
 * requests of interval i arrives at (i + k / c) x intervalMs, so each interval's requests
 * are spread evenly from its start, and `binArrivals` of the result gives the counts back
 * (from the first non-empty interval on). `source` names the series in errors.
 */
export function arrivalsFromCounts(counts: readonly number[], intervalMs: number, source = 'the count series'): number[] {
  checkInterval(intervalMs);
  let total = 0;
  counts.forEach((count, i) => {
    if (!Number.isInteger(count) || count < 0) {
      throw new FerryError('INVALID_ARGUMENT', `Expected whole counts of 0 or more in ${source} to spread into arrivals, got ${count} in interval ${i + 1}`);
    }
    total += count;
  });
  if (total > maxArrivals) throw new FerryError('INVALID_ARGUMENT', `Expected at most ${maxArrivals} arrivals in ${source}, got ${total}`);
  const arrivalsMs = new Array<number>(total);
  let next = 0;
  counts.forEach((count, i) => {
    const startMs = i * intervalMs;
    for (let k = 0; k < count; k++) arrivalsMs[next++] = startMs + (k * intervalMs) / count;
  });
  return arrivalsMs;
}

/** A trace's arrival times (ms, ascending); a count trace is spread by `arrivalsFromCounts` over intervals of `countIntervalMs`. */
export function arrivalsOf(trace: TraceCsv, countIntervalMs: number, source?: string): number[] {
  return trace.kind === 'arrivals' ? trace.arrivalsMs : arrivalsFromCounts(trace.counts, countIntervalMs, source);
}

/** A trace's requests per interval: a count trace as it is (its intervals are `intervalMs` long), arrivals binned. */
export function countsOf(trace: TraceCsv, intervalMs: number): number[] {
  checkInterval(intervalMs);
  return trace.kind === 'counts' ? trace.counts : binArrivals(trace.arrivalsMs, intervalMs);
}

function checkInterval(intervalMs: number): void {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
    throw new FerryError('INVALID_ARGUMENT', `Expected the interval to be a positive number of ms, got ${intervalMs}`);
  }
}
