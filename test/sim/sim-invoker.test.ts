import { describe, expect, it } from 'vitest';
import { invocationCostUsd } from '../../src/core/billing.js';
import type { FunctionEvent } from '../../src/core/function-event.js';
import type { InvokeOutcome } from '../../src/core/invoker.js';
import { LatencyModel } from '../../src/core/latency-model.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { SimulatedInvoker, type SimPlatformOptions } from '../../src/sim/sim-invoker.js';
import { fixedLatency, row } from './fixtures.js';

const event = (items: number, processes = 1): FunctionEvent => ({
  model: 'm', inputs: Array.from({ length: items }, () => ({ image: '' })), processes, threadsPerProcess: 1,
});

/** 1,769 MB is exactly 1 vCPU: the profile's rows apply as they are. */
function platform(options: Partial<SimPlatformOptions> = {}, memoryMb = 1769) {
  const clock = new VirtualClock();
  const invoker = new SimulatedInvoker(clock, { fn: memoryMb }, {
    latency: fixedLatency({ 1: 10.4, 2: 16 }), random: () => 0.5, initMs: 200, overheadMs: { fixedMs: 0, perItemMs: 0 }, ...options,
  });
  /** Starts an invocation; its outcome and the virtual time it came back at, once the clock got there. */
  const call = (items = 1, processes = 1) => {
    const got: { outcome?: InvokeOutcome; atMs?: number } = {};
    invoker.invoke('fn', event(items, processes), (outcome) => {
      got.outcome = outcome;
      got.atMs = clock.nowMs();
    });
    return got;
  };
  const run = () => {
    while (clock.step()) {
      // every pending timer, keep-alive included
    }
  };
  /** Steps until `got` is answered (keep-alive timers stay pending). */
  const until = (got: { outcome?: InvokeOutcome }) => {
    while (!got.outcome && clock.step()) {
      // step
    }
    expect(got.outcome).toBeDefined();
    return got.outcome!;
  };
  return { clock, invoker, call, run, until };
}

describe('simulated invoker: billing and instances', () => {
  it('bills a cold start as ceil(handler + init) and a warm reuse as ceil(handler), priced by invocationCostUsd', () => {
    const { call, until, invoker } = platform();
    const first = call();
    expect(first.outcome).toBeUndefined(); // never before invoke returns
    const cold = until(first);
    expect(cold.ok).toBe(true);
    expect(first.atMs).toBeCloseTo(210.4, 9);
    expect(cold.billing!.initDurationMs).toBe(200);
    expect(cold.billing!.durationMs).toBeCloseTo(10.4, 9);
    expect(cold.billing!.billedDurationMs).toBe(211);
    expect(cold.billing!.memoryMb).toBe(1769);
    expect(cold.billing!.costUsd).toBe(invocationCostUsd(211, 1769));

    const second = call();
    const warm = until(second);
    expect(warm.billing!.initDurationMs).toBeUndefined();
    expect(warm.billing!.billedDurationMs).toBe(11);
    expect(warm.billing!.costUsd).toBe(invocationCostUsd(11, 1769));
    expect(second.atMs! - first.atMs!).toBeCloseTo(10.4, 9);
    expect(invoker.pool.counters('fn')).toMatchObject({ coldStarts: 1, warmStarts: 1 });
  });

  it('draws the p50 when the uniform is 0.5 (log-normal through p50 and p99)', () => {
    const { call, until } = platform({ latency: new LatencyModel([row(1, 40, 120)]) });
    until(call());
    const warm = until(call());
    expect(warm.billing!.durationMs).toBeCloseTo(40, 9);
    expect(warm.billing!.billedDurationMs).toBe(40);
  });

  it('scales a batch by the profile and adds the overhead to the answer time, not to the bill', () => {
    const { call, until, clock } = platform({ overheadMs: { fixedMs: 3, perItemMs: 0.5 } });
    until(call());
    const startMs = clock.nowMs();
    const got = call(2);
    const outcome = until(got);
    if (!outcome.ok) throw new Error('expected ok');
    expect(outcome.result.outputs).toHaveLength(2);
    expect(outcome.billing!.billedDurationMs).toBe(16);
    expect(got.atMs! - startMs).toBeCloseTo(16 + 3 + 2 * 0.5, 9);
  });

  it('reaps an idle instance after the keep-alive, and the next invocation starts cold', () => {
    const { call, until, clock, invoker } = platform({ keepAliveMs: 1000 });
    until(call());
    clock.advance(999);
    expect(until(call()).billing!.initDurationMs).toBeUndefined();
    expect(invoker.pool.counters('fn').reaped).toBe(0);
    clock.advance(1001);
    expect(invoker.pool.counters('fn').reaped).toBe(1);
    const again = until(call());
    expect(again.billing!.initDurationMs).toBe(200);
    expect(invoker.pool.counters('fn').coldStarts).toBe(2);
  });

  it('answers 429 at the concurrency limit, then serves once a slot is free', () => {
    const { call, until, invoker } = platform({ concurrency: 1 });
    const a = call();
    const b = call();
    const throttled = until(b);
    expect(throttled).toMatchObject({ ok: false, error: { kind: 'throttled', errorType: 'TooManyRequestsException' } });
    expect(throttled.billing).toBeUndefined();
    expect(until(a).ok).toBe(true);
    expect(until(call()).ok).toBe(true);
    expect(invoker.pool.counters('fn').throttled).toBe(1);
  });

  it('starts new cold instances at the new memory after a memory change', async () => {
    const { call, until, invoker } = platform();
    until(call());
    expect(until(call()).billing!.initDurationMs).toBeUndefined();
    invoker.setMemoryMb('fn', 3538, () => undefined);
    expect(await invoker.getMemoryMb('fn')).toBe(3538);
    const after = until(call());
    // 2 vCPUs: INIT is at its 1-vCPU speed (it does not get faster above 1 vCPU).
    expect(after.billing).toMatchObject({ memoryMb: 3538, initDurationMs: 200 });
    expect(after.billing!.costUsd).toBe(invocationCostUsd(after.billing!.billedDurationMs, 3538));
    expect(invoker.pool.counters('fn').coldStarts).toBe(2);
  });

  it('fails INIT with Runtime.OutOfMemory below the model\'s memory need, and billed', () => {
    const { call, until } = platform({ memoryNeedMb: { baseMb: 100, perProcessMb: 125, perItemMb: 0 } }, 128);
    const outcome = until(call());
    expect(outcome).toMatchObject({ ok: false, error: { kind: 'function-error', errorType: 'Runtime.OutOfMemory' } });
    expect(outcome.billing).toMatchObject({ memoryMb: 128 });
    expect(outcome.billing!.initDurationMs).toBeGreaterThan(0);
  });

  it('fails an invocation whose worker processes do not fit in memory, where one process does', () => {
    // 100 + 125 per process: one fits in 300 MB, two (350 MB) do not.
    const { call, until } = platform({ memoryNeedMb: { baseMb: 100, perProcessMb: 125, perItemMb: 0 } }, 300);
    expect(until(call(1, 1)).ok).toBe(true);
    expect(until(call(1, 2))).toMatchObject({ ok: false, error: { kind: 'function-error', errorType: 'Runtime.OutOfMemory' } });
  });

  it('kills the worker of a batch that does not fit, as live: its items answer WORKER_CRASHED, the instance lives on', () => {
    // 100 + 100 per process + 10 per item in 300 MB: one worker takes a batch of 10, not 11.
    const { call, until, invoker } = platform({ memoryNeedMb: { baseMb: 100, perProcessMb: 100, perItemMb: 10 }, workerStartMs: 50 }, 300);
    const fits = until(call(10, 1));
    expect(fits.ok && fits.result.outputs.every((o) => !('error' in o))).toBe(true);
    const killed = until(call(11, 1));
    if (!killed.ok) throw new Error('expected an answer with item errors');
    expect(killed.result.outputs.map((o) => ('error' in o ? o.error.code : 'ok'))).toEqual(new Array(11).fill('WORKER_CRASHED'));
    expect(killed.billing!.billedDurationMs).toBeGreaterThan(1);
    // The next batch runs on the same instance (no cold start) and starts a worker first.
    const after = until(call(1, 1));
    expect(after.billing!.initDurationMs).toBeUndefined();
    const again = until(call(1, 1));
    // Worker start at 300 MB (0.17 vCPU) takes 50 ms / (300 / 1769).
    expect(after.billing!.durationMs - again.billing!.durationMs).toBeCloseTo((50 * 1769) / 300, 6);
    expect(invoker.pool.counters('fn').coldStarts).toBe(1);
  });

  it('over two workers, kills one: its share of the batch crashes, the other share answers', () => {
    // 100 + 50 per process + 10 per item in 400 MB: two workers take 20 items, not 21.
    const { call, until } = platform({ memoryNeedMb: { baseMb: 100, perProcessMb: 50, perItemMb: 10 } }, 400);
    const killed = until(call(21, 2));
    if (!killed.ok) throw new Error('expected an answer with item errors');
    const codes = killed.result.outputs.map((o) => ('error' in o ? o.error.code : 'ok'));
    expect(codes.filter((c) => c === 'WORKER_CRASHED')).toHaveLength(11);
    expect(codes.filter((c) => c === 'ok')).toHaveLength(10);
  });
});

describe('simulated invoker: host cores', () => {
  /** Two instances warm, then two 10 ms invocations at once; returns when each answered. */
  function twoAtOnce(hostCores: number) {
    const { call, until } = platform({ hostCores, latency: fixedLatency({ 1: 10 }) });
    const coldA = call();
    const coldB = call();
    until(coldA);
    until(coldB);
    const initDoneMs = [coldA.atMs!, coldB.atMs!];
    const startMs = Math.max(...initDoneMs);
    const a = call();
    const b = call();
    const outA = until(a);
    const outB = until(b);
    expect(outA.billing!.initDurationMs).toBeUndefined();
    expect(outB.billing!.initDurationMs).toBeUndefined();
    return { initDoneMs, handlerMs: [a.atMs! - startMs, b.atMs! - startMs], billedMs: [outA.billing!.billedDurationMs, outB.billing!.billedDurationMs] };
  }

  it('on 1 core, two jobs at once each take twice as long (and are billed so)', () => {
    const { initDoneMs, handlerMs, billedMs } = twoAtOnce(1);
    // Two 200 ms INITs sharing one core end together at 400 ms, then their 10 ms handlers share it too.
    expect(initDoneMs[0]).toBeCloseTo(420, 9);
    expect(initDoneMs[1]).toBeCloseTo(420, 9);
    expect(handlerMs[0]).toBeCloseTo(20, 9);
    expect(handlerMs[1]).toBeCloseTo(20, 9);
    expect(billedMs).toEqual([20, 20]);
  });

  it('on 2 cores or on independent instances, they overlap', () => {
    for (const cores of [2, Infinity]) {
      const { initDoneMs, handlerMs, billedMs } = twoAtOnce(cores);
      expect(initDoneMs[0]).toBeCloseTo(210, 9);
      expect(handlerMs[0]).toBeCloseTo(10, 9);
      expect(handlerMs[1]).toBeCloseTo(10, 9);
      expect(billedMs).toEqual([10, 10]);
    }
  });

  it('a job that starts while another runs slows both only while they overlap', () => {
    const { call, until, clock } = platform({ hostCores: 1, latency: fixedLatency({ 1: 10 }) });
    const a0 = call();
    until(a0);
    const b0 = call();
    const a0again = call();
    until(b0);
    until(a0again);
    // Two warm instances now. A starts; 4 ms later B starts: A has 6 ms left at half speed.
    const t0 = clock.nowMs();
    const a = call();
    clock.advance(4);
    const b = call();
    until(a);
    until(b);
    expect(a.atMs! - t0).toBeCloseTo(4 + 12, 9);
    // B did 6 ms of its work while sharing, then its last 4 ms alone.
    expect(b.atMs! - t0).toBeCloseTo(4 + 12 + 4, 9);
  });
});
