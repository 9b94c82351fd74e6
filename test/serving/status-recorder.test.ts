import { describe, expect, it } from 'vitest';
import { billedDurationMs, invocationCostUsd } from '../../src/core/billing.js';
import { LatencyModel } from '../../src/core/latency-model.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { loadProfile } from '../../src/models/files.js';
import type { InvocationRecord } from '../../src/serving/events.js';
import type { ModelConfig } from '../../src/serving/model-config.js';
import { StatusRecorder } from '../../src/serving/status-recorder.js';

const config: ModelConfig = { functionName: 'mobilenetv2', batchSize: 8, processes: 2, threadsPerProcess: 1, memoryMb: 3538, sloMs: 300 };
const latency = new LatencyModel(loadProfile('mobilenetv2').rows);
const ok = { output: { top: [] } } as never;

function invocation(clock: VirtualClock, fields: Partial<InvocationRecord>): InvocationRecord {
  return { model: 'mobilenetv2', functionName: 'mobilenetv2', batchSize: 8, serviceMs: 50, outcome: 'ok', warmup: false, atMs: clock.nowMs(), ...fields };
}

describe('StatusRecorder', () => {
  it('counts each event in the window of its time, with latency quantiles and SLO attainment', () => {
    const clock = new VirtualClock();
    const status = new StatusRecorder(clock, { windowMs: 1000, windows: 10 });
    status.onConfig('mobilenetv2', config, 0);
    status.onArrivals('mobilenetv2', 100);
    for (let i = 1; i <= 100; i++) status.onAnswer('mobilenetv2', 0, i * 4, ok); // 4..400 ms
    clock.advance(1500);
    status.onArrivals('mobilenetv2', 3);
    status.onAnswer('mobilenetv2', 0, 10, { error: { code: 'THROTTLED', message: 'x' } });
    status.onAnswer('mobilenetv2', 0, 10, { error: { code: 'INVOCATION_FAILED', message: 'x' } });
    const [first, second] = status.status('mobilenetv2')!.windows;
    expect(first).toMatchObject({ startMs: 0, endMs: 1000, open: false, arrivalRatePerS: 100, answered: 100, throttled: 0, failed: 0, sloAttainment: 0.75 });
    // Buckets are 10% wide: quantiles come back within 5% of the true ones (200 and 396 ms).
    expect(first!.p50Ms).toBeGreaterThan(190);
    expect(first!.p50Ms).toBeLessThan(210);
    expect(first!.p99Ms).toBeGreaterThan(376);
    expect(first!.p99Ms).toBeLessThan(416);
    // The open window's rate is over the time it has been open.
    expect(second).toMatchObject({ startMs: 1000, endMs: 1500, open: true, arrivalRatePerS: 6, answered: 2, throttled: 1, failed: 1, sloAttainment: 0 });
    expect(status.status('mobilenetv2')!.totals).toMatchObject({ arrivals: 103, answered: 102, withinSlo: 75, throttled: 1, failed: 1 });
  });

  it('keeps only the last N windows, clearing the ones time skipped', () => {
    const clock = new VirtualClock();
    const status = new StatusRecorder(clock, { windowMs: 1000, windows: 4 });
    status.onConfig('mobilenetv2', config, 0);
    for (let s = 0; s < 50; s++) {
      status.onArrivals('mobilenetv2', s);
      clock.advance(1000);
    }
    clock.advance(2000); // two silent windows, then the open one
    const windows = status.status('mobilenetv2')!.windows;
    expect(windows.map((w) => w.startMs)).toEqual([49_000, 50_000, 51_000, 52_000]);
    expect(windows.map((w) => w.arrivalRatePerS)).toEqual([49, 0, 0, 0]);
    expect(status.status('mobilenetv2')!.totals.arrivals).toBe((49 * 50) / 2);
  });

  it('prices the same traffic at one request per invocation, 3008 MB, one process, from the profile scaled to the host', () => {
    const clock = new VirtualClock();
    const status = new StatusRecorder(clock, { latencyModel: () => latency });
    status.onConfig('mobilenetv2', config, 0);
    // This host runs the served configuration exactly twice as slowly as the profile says.
    const profiledMs = latency.forMemory(8, 2, 1, 3538).p50Ms;
    const billing = { requestId: 'r', durationMs: 2 * profiledMs, billedDurationMs: Math.ceil(2 * profiledMs), memoryMb: 3538, maxMemoryUsedMb: 300, costUsd: 0.0001 };
    status.onInvocation(invocation(clock, { billing }));
    // A cold start and a warm-up say nothing about the host's speed.
    status.onInvocation(invocation(clock, { billing: { ...billing, durationMs: 10 * profiledMs, initDurationMs: 500 } }));
    status.onInvocation(invocation(clock, { batchSize: 0, warmup: true, billing: { ...billing, durationMs: 1 } }));
    for (let i = 0; i < 8; i++) status.onAnswer('mobilenetv2', 0, 100, ok);
    const model = status.status('mobilenetv2')!;
    const perRequestMs = 2 * latency.forMemory(1, 1, 1, 3008).p50Ms;
    const perRequestUsd = invocationCostUsd(billedDurationMs(perRequestMs), 3008);
    expect(model.baseline).toMatchObject({ label: 'estimate from the profile', memoryMb: 3008, batchSize: 1, processes: 1, threadsPerProcess: 1 });
    expect(model.baseline!.hostScale).toBeCloseTo(2, 9);
    expect(model.baseline!.costUsdPerRequest).toBeCloseTo(perRequestUsd, 12);
    expect(model.totals.costUsd).toBeCloseTo(0.0003, 12);
    expect(model.totals.baselineCostUsd).toBeCloseTo(8 * perRequestUsd, 12);
    expect(model.totals.savingUsd).toBeCloseTo(8 * perRequestUsd - 0.0003, 12);
    expect(model.totals.coldStarts).toBe(1);
    expect(model.windows[0]).toMatchObject({ invocations: 3, warmups: 1, coldStarts: 1 });
    expect(model.windows[0]!.baselineCostUsdPer1k).toBeCloseTo(perRequestUsd * 1000, 9);
  });

  it('has no estimate for a model without a profile', () => {
    const status = new StatusRecorder(new VirtualClock());
    status.onConfig('mobilenetv2', config, 0);
    status.onAnswer('mobilenetv2', 0, 5, ok);
    const model = status.status('mobilenetv2')!;
    expect(model.baseline).toBeNull();
    expect(model.totals.savingUsd).toBeNull();
    expect(model.windows[0]!.baselineCostUsdPer1k).toBeNull();
  });

  it('tallies batches by reason, and keeps configuration changes and tuning decisions newest first, bounded', () => {
    const clock = new VirtualClock();
    const status = new StatusRecorder(clock, { events: 3 });
    status.onConfig('mobilenetv2', config, 0);
    status.onBatch('mobilenetv2', 8, 'full');
    status.onBatch('mobilenetv2', 8, 'full');
    status.onBatch('mobilenetv2', 2, 'deadline');
    for (let i = 1; i <= 4; i++) {
      clock.advance(1000);
      status.onConfig('mobilenetv2', { ...config, batchSize: i }, clock.nowMs());
      status.onTuningEvent({ model: 'mobilenetv2', kind: 'applied', atMs: clock.nowMs(), config: { memoryMb: 3538, batchSize: i, processes: 2 }, reason: `initial design ${i}/8` });
    }
    status.onTuningEvent({ model: 'mobilenetv2', kind: 'change-point', atMs: 4500, arrivalRatePerS: 30, reason: 'arrival rate shifted' });
    const model = status.status('mobilenetv2')!;
    expect(model.windows[0]!.batches).toMatchObject({ full: { count: 2, items: 16 }, deadline: { count: 1, items: 2 }, payload: { count: 0, items: 0 } });
    expect(model.windows[0]!.meanBatchSize).toBe(6);
    expect(model.configChanges.map((c) => c.batchSize)).toEqual([4, 3, 2]);
    expect(model.tuning.map((e) => e.kind)).toEqual(['change-point', 'applied', 'applied']);
    expect(model.changePointsMs).toEqual([4500]);
    expect(model.config.batchSize).toBe(4);
    expect(model.windows[0]!.config.batchSize).toBe(4);
  });

  it('ignores models it was never configured with', () => {
    const status = new StatusRecorder(new VirtualClock());
    status.onArrivals('other', 1);
    expect(status.status('other')).toBeUndefined();
    expect(status.models()).toEqual([]);
  });
});
