import { binArrivals } from './binning.js';

/** What `ferry trace stats` reports of a trace (the columns of traces/azure-llm-2023/README.md). */
export interface TraceStats {
  requests: number;
  /** From the first arrival to the last (s). */
  spanS: number;
  /** Requests per second over the span: (requests - 1) / span, as the replay offers it; null below 2 requests or a zero span. */
  meanRatePerS: number | null;
  /** Busiest 1 s interval over the mean interval (intervals from the first arrival): burstiness at the batcher's time scale. */
  peakToMean1s: number | null;
  /** The same over 60 s intervals: how far the rate drifts at the tuner's time scale. */
  peakToMean60s: number | null;
  /** Share of 1 s intervals without a request (on/off traffic has many). */
  emptyShare1s: number | null;
  /** Standard deviation over mean of the gaps between arrivals: 1 for Poisson, above for bursty traffic. */
  interArrivalCv: number | null;
}

/** Statistics of arrival times (ms, ascending). */
export function traceStats(arrivalsMs: readonly number[]): TraceStats {
  const requests = arrivalsMs.length;
  const spanMs = requests === 0 ? 0 : arrivalsMs[requests - 1]! - arrivalsMs[0]!;
  const counts1s = binArrivals(arrivalsMs, 1000);
  return {
    requests,
    spanS: round(spanMs / 1000, 3),
    meanRatePerS: requests >= 2 && spanMs > 0 ? round(((requests - 1) * 1000) / spanMs, 4) : null,
    peakToMean1s: peakToMean(counts1s, requests),
    peakToMean60s: peakToMean(binArrivals(arrivalsMs, 60_000), requests),
    emptyShare1s: counts1s.length === 0 ? null : round(counts1s.filter((c) => c === 0).length / counts1s.length, 4),
    interArrivalCv: requests >= 3 && spanMs > 0 ? round(gapCv(arrivalsMs), 4) : null,
  };
}

function peakToMean(counts: readonly number[], requests: number): number | null {
  if (counts.length === 0) return null;
  let peak = 0;
  for (const c of counts) if (c > peak) peak = c;
  return round(peak / (requests / counts.length), 3);
}

function gapCv(arrivalsMs: readonly number[]): number {
  const n = arrivalsMs.length - 1;
  const mean = (arrivalsMs[n]! - arrivalsMs[0]!) / n;
  let squares = 0;
  for (let i = 1; i <= n; i++) squares += (arrivalsMs[i]! - arrivalsMs[i - 1]! - mean) ** 2;
  return Math.sqrt(squares / n) / mean;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
