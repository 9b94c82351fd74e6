import { describe, expect, it } from 'vitest';
import { billedDurationMs, invocationCostUsd, parseReportLine, reportLine, type BillingRecord } from './billing.js';
import { vcpusForMemory } from './pricing.js';

describe('Lambda billing arithmetic', () => {
  it('rounds billed duration up to the millisecond, at least 1 ms, init included', () => {
    expect(billedDurationMs(12.01)).toBe(13);
    expect(billedDurationMs(12)).toBe(12);
    expect(billedDurationMs(0.2)).toBe(1);
    expect(billedDurationMs(10.5, 100.2)).toBe(111);
  });

  it('charges GB-seconds at the list price plus the request fee', () => {
    // 1 s at 1024 MB = 1 GB-s = $0.0000166667, plus $0.20 per million requests.
    expect(invocationCostUsd(1000, 1024)).toBeCloseTo(0.0000166667 + 0.0000002, 13);
    // 100 ms at 1769 MB on arm64: 0.1 * 1769/1024 GB-s * $0.0000133334.
    expect(invocationCostUsd(100, 1769, 'arm64')).toBeCloseTo(0.1 * (1769 / 1024) * 0.0000133334 + 0.0000002, 13);
  });

  it('gives 1 vCPU per 1,769 MB', () => {
    expect(vcpusForMemory(1769)).toBe(1);
    expect(vcpusForMemory(884.5)).toBe(0.5);
    expect(vcpusForMemory(10240)).toBeCloseTo(5.79, 2);
  });

  it('writes and reads back a REPORT line', () => {
    const record: BillingRecord = {
      functionName: 'demo', requestId: 'r-1', durationMs: 43.36, billedDurationMs: 1630, memoryMb: 1769,
      maxMemoryUsedMb: 152, initDurationMs: 1585.95, cold: true, costUsd: 0,
    };
    const line = reportLine(record);
    expect(line).toBe('REPORT RequestId: r-1\tDuration: 43.36 ms\tBilled Duration: 1630 ms\tMemory Size: 1769 MB\tMax Memory Used: 152 MB\tInit Duration: 1585.95 ms\t');
    expect(parseReportLine(`START RequestId: r-1\nEND RequestId: r-1\n${line}\n`)).toEqual({
      requestId: 'r-1', durationMs: 43.36, billedDurationMs: 1630, memoryMb: 1769, maxMemoryUsedMb: 152, initDurationMs: 1585.95,
    });
    expect(parseReportLine('no report here')).toBeUndefined();
  });
});
