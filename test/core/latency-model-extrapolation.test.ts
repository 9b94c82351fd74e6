import { describe, expect, it } from 'vitest';
import { LatencyModel, type LatencyRow } from '../../src/core/latency-model.js';
import { loadProfile } from '../../src/models/files.js';

const row = (vcpus: number, p50Ms: number, p99Ms: number): LatencyRow => ({ batch: 1, processes: 1, threadsPerProcess: 1, vcpus, p50Ms, p99Ms });

describe('LatencyModel below the lowest measured share', () => {
  it('never gets faster with less CPU: the extrapolated line is floored at the lowest share\'s time', () => {
    // Out of order, as ocr-cls's profile is at batch 1: faster at 0.25 vCPU than at 0.5.
    const model = new LatencyModel([row(0.25, 4.55, 72.97), row(0.5, 7.46, 36.97), row(1, 5.53, 8.6)]);
    const at128 = model.serviceMs(1, 1, 128 / 1769);
    // The bare line: 4.55 + (1769 / 128 - 4) x (4.55 - 7.46) / 2 = -9.7 ms.
    expect(at128.p50Ms).toBeCloseTo(4.55, 9);
    // The p99 is in order (slower with less CPU): its line is kept.
    expect(at128.p99Ms).toBeCloseTo(72.97 + (1769 / 128 - 4) * ((72.97 - 36.97) / 2), 9);
    // In order, the line is kept: from 0.5 to 0.25 vCPU (x = 1/share from 2 to 4: 12 to 20 ms), 32 ms at 0.1 vCPU.
    const ordered = new LatencyModel([row(0.25, 20, 80), row(0.5, 12, 40), row(1, 6, 9)]);
    const at01 = ordered.serviceMs(1, 1, 0.1);
    expect(at01.p50Ms).toBeCloseTo(20 + (10 - 4) * ((20 - 12) / 2), 9);
    // Inside the measured range nothing changes.
    expect(ordered.serviceMs(1, 1, 0.25).p50Ms).toBeCloseTo(20, 9);
  });

  it('the shipped ocr-cls profile: positive at 256 and 128 MB, and at least its time at 0.25 vCPU', () => {
    const model = new LatencyModel(loadProfile('ocr-cls').rows);
    const atQuarter = model.serviceMs(1, 1, 0.25, 1).p50Ms;
    for (const memoryMb of [256, 128]) {
      const { p50Ms, p99Ms } = model.forMemory(1, 1, 1, memoryMb);
      expect(p50Ms).toBeGreaterThanOrEqual(atQuarter);
      expect(p99Ms).toBeGreaterThanOrEqual(p50Ms);
    }
  });
});
