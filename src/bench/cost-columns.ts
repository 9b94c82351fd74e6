/**
 * The arithmetic of `ferry bench cost`'s columns, apart from the runs that feed it, so each
 * formula is stated once and tested on hand cases.
 */

/** 1 - cost / baseline: 0.62 is "62% cheaper", negative is dearer. Undefined without a baseline. */
export function savingShare(costPerMillionUsd: number, baselinePerMillionUsd: number | undefined): number | undefined {
  if (baselinePerMillionUsd === undefined || !(baselinePerMillionUsd > 0)) return undefined;
  return 1 - costPerMillionUsd / baselinePerMillionUsd;
}

/** cost / the oracle's: 1.1 is 10% above the bound. */
export function ratioTo(costPerMillionUsd: number, boundPerMillionUsd: number | undefined): number | undefined {
  if (boundPerMillionUsd === undefined || !(boundPerMillionUsd > 0)) return undefined;
  return costPerMillionUsd / boundPerMillionUsd;
}

/** What an always-on host costs over `durationS`. */
export function hostCostUsd(hostUsdPerH: number, durationS: number): number {
  return (hostUsdPerH * durationS) / 3600;
}

/**
 * A batching policy's cost per million requests with the gateway host it needs added: the
 * host's cost over the trace, spread over the trace's requests.
 */
export function withHostPerMillionUsd(costPerMillionUsd: number, requests: number, hostUsdPerH: number, durationS: number): number {
  if (!(requests > 0)) return costPerMillionUsd;
  return costPerMillionUsd + (hostCostUsd(hostUsdPerH, durationS) / requests) * 1e6;
}

/**
 * The arrival rate below which the host eats a batching policy's saving: the host costs
 * `hostUsdPerH / 3600` dollars a second, the policy saves `(baseline - cost) / 10^6`
 * dollars a request, so the saving pays for the host above
 *
 *     rate* = (hostUsdPerH / 3600) / ((baselinePerM - costPerM) / 10^6)   req/s.
 *
 * It takes the saving per request as measured on the trace, at the trace's own rates
 * (batching saves less at lower rates, so the true rate* is higher). Undefined when the
 * policy saves nothing: no rate pays for the host.
 */
export function hostBreakEvenRatePerS(costPerMillionUsd: number, baselinePerMillionUsd: number | undefined, hostUsdPerH: number): number | undefined {
  if (baselinePerMillionUsd === undefined) return undefined;
  const savingPerRequestUsd = (baselinePerMillionUsd - costPerMillionUsd) / 1e6;
  if (!(savingPerRequestUsd > 0)) return undefined;
  return hostUsdPerH / 3600 / savingPerRequestUsd;
}

/** Requests and attainment inside some intervals of a run (tuning episodes). */
export interface IntervalAttainment {
  requests: number;
  withinSlo: number;
  /** withinSlo / requests; undefined when no request arrived inside the intervals. */
  attainment: number | undefined;
}

export interface Interval {
  startMs: number;
  endMs: number;
}

/**
 * Attainment of the requests that arrived inside `intervals` ([start, end), on the clock
 * of `arrivalMs`), from parallel arrays of arrival times (any order) and outcomes.
 */
export function attainmentInside(intervals: readonly Interval[], arrivalMs: ArrayLike<number>, withinSlo: ArrayLike<number>): IntervalAttainment {
  const merged = mergeIntervals(intervals);
  let requests = 0;
  let met = 0;
  for (let i = 0; i < arrivalMs.length; i++) {
    if (!inside(merged, arrivalMs[i]!)) continue;
    requests++;
    if (withinSlo[i]) met++;
  }
  return { requests, withinSlo: met, attainment: requests > 0 ? met / requests : undefined };
}

/**
 * Dollars billed inside `intervals` and outside them, from parallel arrays of when each
 * invocation was dispatched and what it was billed: what a policy paid while it tuned,
 * against what it paid once it had settled.
 */
export function costInside(intervals: readonly Interval[], atMs: ArrayLike<number>, costUsd: ArrayLike<number>): { insideUsd: number; outsideUsd: number } {
  const merged = mergeIntervals(intervals);
  let insideUsd = 0;
  let outsideUsd = 0;
  for (let i = 0; i < atMs.length; i++) {
    if (inside(merged, atMs[i]!)) insideUsd += costUsd[i]!;
    else outsideUsd += costUsd[i]!;
  }
  return { insideUsd, outsideUsd };
}

/** Sorted, overlapping or touching intervals joined, empty ones dropped. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.endMs > i.startMs).sort((a, b) => a.startMs - b.startMs);
  const out: Interval[] = [];
  for (const interval of sorted) {
    const last = out[out.length - 1];
    if (last && interval.startMs <= last.endMs) last.endMs = Math.max(last.endMs, interval.endMs);
    else out.push({ ...interval });
  }
  return out;
}

/** Binary search over merged, sorted intervals. */
function inside(merged: readonly Interval[], atMs: number): boolean {
  let lo = 0;
  let hi = merged.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = merged[mid]!;
    if (atMs < m.startMs) hi = mid - 1;
    else if (atMs >= m.endMs) lo = mid + 1;
    else return true;
  }
  return false;
}
