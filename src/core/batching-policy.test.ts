import { describe, expect, it } from 'vitest';
import { decideBatch, type BatchingConfig, type QueuedView } from './batching-policy.js';

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

  it('sends the longest batch that still makes the oldest deadline when a batch fills too late for it', () => {
    const linear = (n: number) => 40 * n;
    // Oldest at 0, deadline 300: a full batch of 4 (160 ms) must start by 140, one of 3 by 180.
    expect(decideBatch(q(0, 1, 2, 3), 140, config, linear)).toEqual({ action: 'dispatch', count: 4, reason: 'full' });
    expect(decideBatch(q(0, 1, 2, 150), 150, config, linear)).toEqual({ action: 'dispatch', count: 3, reason: 'deadline' });
    expect(decideBatch(q(0, 1, 2, 250), 250, config, linear)).toEqual({ action: 'dispatch', count: 1, reason: 'deadline' });
    // Too late for any batch: the full one goes.
    expect(decideBatch(q(0, 1, 2, 270), 270, config, linear)).toEqual({ action: 'dispatch', count: 4, reason: 'full' });
    // Backed up beyond one batch: full batches, whatever the oldest's deadline.
    expect(decideBatch(q(0, 1, 2, 3, 150), 150, config, linear)).toEqual({ action: 'dispatch', count: 4, reason: 'full' });
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

  it('sends once the oldest request waited a fixed timeout, when one is set, whichever comes first', () => {
    // Deadline at 300 - 100 = 200; a 50 ms timeout comes first.
    expect(decideBatch(q(0, 10), 20, { ...config, maxWaitMs: 50 }, flat(100))).toEqual({ action: 'wait', untilMs: 50 });
    expect(decideBatch(q(0, 10), 50, { ...config, maxWaitMs: 50 }, flat(100))).toEqual({ action: 'dispatch', count: 2, reason: 'max-wait' });
    // A timeout longer than the deadline allows changes nothing.
    expect(decideBatch(q(0), 0, { ...config, maxWaitMs: 1000 }, flat(100))).toEqual({ action: 'wait', untilMs: 200 });
  });
});
