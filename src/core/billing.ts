import { lambdaPricing, type Architecture } from './pricing.js';

/** The fields of Lambda's REPORT line for one invocation. */
export interface ReportFields {
  requestId: string;
  durationMs: number;
  billedDurationMs: number;
  memoryMb: number;
  maxMemoryUsedMb: number;
  /** Present on a cold start only. */
  initDurationMs?: number;
}

/** What one invocation is billed for: its REPORT fields, priced. */
export interface BillingRecord extends ReportFields {
  functionName: string;
  cold: boolean;
  costUsd: number;
}

/**
 * Billed duration: handler time (plus init time on a cold start, since Lambda bills INIT),
 * rounded up to the next millisecond, at least 1 ms.
 */
export function billedDurationMs(durationMs: number, initDurationMs = 0): number {
  const billable = durationMs + (lambdaPricing.initBilled ? initDurationMs : 0);
  return Math.max(1, Math.ceil(billable));
}

/** Compute charge (GB-seconds at the architecture's rate) plus the per-request fee. */
export function invocationCostUsd(billedMs: number, memoryMb: number, architecture: Architecture = 'x86_64'): number {
  const gbSeconds = (billedMs / 1000) * (memoryMb / 1024);
  return gbSeconds * lambdaPricing.gbSecondUsd[architecture] + lambdaPricing.requestUsd;
}

/** Lambda's REPORT log line, e.g. for `X-Amz-Log-Result`. */
export function reportLine(record: BillingRecord): string {
  const init = record.initDurationMs === undefined ? '' : `\tInit Duration: ${record.initDurationMs.toFixed(2)} ms`;
  return (
    `REPORT RequestId: ${record.requestId}\tDuration: ${record.durationMs.toFixed(2)} ms\t` +
    `Billed Duration: ${record.billedDurationMs} ms\tMemory Size: ${record.memoryMb} MB\t` +
    `Max Memory Used: ${record.maxMemoryUsedMb} MB${init}\t`
  );
}

/** Reads a REPORT line back (from a real Lambda's or the local runtime's log tail). */
export function parseReportLine(log: string): ReportFields | undefined {
  const line = log.split('\n').reverse().find((l) => l.startsWith('REPORT '));
  if (!line) return undefined;
  const field = (name: string): number | undefined => {
    const match = new RegExp(`\\t${name}: ([0-9.]+)`).exec(line);
    return match ? Number(match[1]) : undefined;
  };
  const durationMs = field('Duration');
  const billedDurationMs = field('Billed Duration');
  const memoryMb = field('Memory Size');
  if (durationMs === undefined || billedDurationMs === undefined || memoryMb === undefined) return undefined;
  const initDurationMs = field('Init Duration');
  return {
    requestId: /RequestId: (\S+)/.exec(line)?.[1] ?? '',
    durationMs,
    billedDurationMs,
    memoryMb,
    maxMemoryUsedMb: field('Max Memory Used') ?? 0,
    ...(initDurationMs === undefined ? {} : { initDurationMs }),
  };
}
