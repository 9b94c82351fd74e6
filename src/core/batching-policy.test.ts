import { describe, expect, it } from 'vitest';
import { decideBatch, type BatchingConfig, type QueuedView } from './batching-policy.js';
import { ServiceTimeModel } from './service-time.js';

const config: BatchingConfig = { batchSize: 4, sloMs: 300, maxPayloadBytes: 1000 };
const flat = (ms: number) => () => ms;
const q = (...arrivals: number[]): QueuedView[] => arrivals.map((arrivalMs) => ({ arrivalMs, payloadBytes: 100 }));

describe('decideBatch', () => {
  it('is idle on an empty queue', () => {
    expect(decideBatch([], 0, config, flat(50))).toEqual({ action: 'idle' });
  });

  it('dispatches a full batch at once', () => {
    expect(decideBatch(q(0, 1, 2, 3, 4), 5, config, flat(50))).toEqual({ action: 'dispatch', count: 4, reason: 'full' });
  });

  it('waits until the oldest deadline minus the predicted service time', () => {
    // Oldest arrived at 10: deadline 310; a batch of 2 takes 80 ms, so start by 230.
    expect(decideBatch(q(10, 20), 100, config, (n) => 40 * n)).toEqual({ action: 'wait', untilMs: 230 });
    expect(decideBatch(q(10, 20), 230, config, (n) => 40 * n)).toEqual({ action: 'dispatch', count: 2, reason: 'deadline' });
    expect(decideBatch(q(10, 20), 231, config, (n) => 40 * n)).toMatchObject({ action: 'dispatch', reason: 'deadline' });
  });

  it('keeps a safety margin before the deadline', () => {
    expect(decideBatch(q(0), 0, { ...config, safetyMarginMs: 20 }, flat(100))).toEqual({ action: 'wait', untilMs: 180 });
  });

  it('splits so that no invocation exceeds the payload limit', () => {
    const big = [400, 400, 400, 10].map((payloadBytes, i) => ({ arrivalMs: i, payloadBytes }));
    expect(decideBatch(big, 4, config, flat(10))).toEqual({ action: 'dispatch', count: 2, reason: 'payload' });
    // A single request over the limit is still sent (admission bounds it separately).
    expect(decideBatch([{ arrivalMs: 0, payloadBytes: 5000 }, { arrivalMs: 1, payloadBytes: 1 }], 2, config, flat(10)))
      .toEqual({ action: 'dispatch', count: 1, reason: 'payload' });
  });

  it('dispatches at once when the SLO is already out of reach', () => {
    expect(decideBatch(q(0), 0, config, flat(400))).toEqual({ action: 'dispatch', count: 1, reason: 'deadline' });
  });
});

describe('ServiceTimeModel', () => {
  it('answers from the prior until it has data', () => {
    const model = new ServiceTimeModel({ fixedMs: 50, perItemMs: 10 });
    expect(model.predictMs(4)).toBe(90);
  });

  it('fits a line and adds two residual standard deviations', () => {
    const model = new ServiceTimeModel({ fixedMs: 0, perItemMs: 0 });
    for (const n of [1, 2, 4, 8]) model.observe(n, 20 + 10 * n);
    expect(model.predictMs(16)).toBeCloseTo(180, 6);
    model.observe(4, 70);
    model.observe(4, 50);
    expect(model.predictMs(4)).toBeGreaterThan(60);
  });

  it('caps the margin at half the mean on a noisy machine', () => {
    const model = new ServiceTimeModel({ fixedMs: 0, perItemMs: 0 });
    for (const ms of [10, 200, 10, 200, 10, 200]) model.observe(4, ms);
    // Mean 105 ms, residual std about 104 ms: two of them would nearly triple the plan.
    expect(model.predictMs(4)).toBeCloseTo(157.5, 6);
  });

  it('forgets on reset', () => {
    const model = new ServiceTimeModel({ fixedMs: 5, perItemMs: 1 });
    for (const n of [1, 2, 3]) model.observe(n, 1000);
    model.reset();
    expect(model.predictMs(2)).toBe(7);
  });
});
