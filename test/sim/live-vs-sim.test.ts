import { describe, expect, it } from 'vitest';
import type { FunctionEvent } from '../../src/core/function-event.js';
import type { FunctionInvoker, InvokeOutcome } from '../../src/core/invoker.js';
import { Rng } from '../../src/core/random.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import type { BatchReason, ServingObserver } from '../../src/serving/events.js';
import { Gateway } from '../../src/serving/gateway.js';
import type { ModelConfig } from '../../src/serving/model-config.js';
import { simulatePolicy, type Policy } from '../../src/sim/simulate.js';
import { echoOutcome } from '../helpers/scripted-invoker.js';
import { fixedLatency } from './fixtures.js';

const serviceMs = 40;
const warmupMs = 0.5;
const config: ModelConfig = { functionName: 'fn', batchSize: 4, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 };
const maxInFlight = 2;

/** A scripted function that answers every invocation after a fixed time, on the clock's timers (as the live gateway sees one). */
class TimedInvoker implements FunctionInvoker {
  readonly kind = 'timed';
  constructor(private readonly clock: VirtualClock) {}
  invoke(_functionName: string, event: FunctionEvent, done: (outcome: InvokeOutcome) => void): void {
    this.clock.setTimer(event.inputs.length === 0 ? warmupMs : serviceMs, () => done(echoOutcome(event)));
  }
  async getMemoryMb(): Promise<number> {
    return config.memoryMb;
  }
  setMemoryMb(_functionName: string, _memoryMb: number, done: (error?: Error) => void): void {
    done();
  }
  async close(): Promise<void> {}
}

/**
 * Arrivals in ms: calm stretches, bursts that fill batches and queue behind two slots, and
 * a few requests at the same instant. Fractional offsets keep arrivals off the answers' instants.
 */
function scriptedArrivals(): number[] {
  const rng = new Rng(11);
  const out: number[] = [];
  let t = 3.3;
  for (let i = 0; i < 120; i++) {
    const burst = Math.floor(i / 20) % 2 === 1;
    t += burst ? rng.next() * 6 : 20 + rng.next() * 180;
    out.push(t);
    if (i % 37 === 5) out.push(t, t); // three at one instant
  }
  return out;
}

interface Batch { size: number; reason: BatchReason; atMs: number }

function recorder(offset: () => number) {
  const batches: Batch[] = [];
  const latenciesMs: number[] = [];
  const observer: ServingObserver = {
    onBatch: (_model, size, reason, _waitMs, atMs) => batches.push({ size, reason, atMs: atMs - offset() }),
    onAnswer: (_model, _arrivalMs, latencyMs) => latenciesMs.push(latencyMs),
  };
  return { batches, latenciesMs, observer };
}

/** The live path: the Gateway on a virtual clock, warmed up, then the arrivals as clients send them. */
function live(scheduleMs: readonly number[]) {
  const clock = new VirtualClock();
  let trafficStartMs = 0;
  const rec = recorder(() => trafficStartMs);
  const rng = new Rng(5);
  const gateway = new Gateway({
    invoker: new TimedInvoker(clock), clock, models: { m: config }, maxQueue: 1024,
    dispatcher: { maxInFlight, invocationTimeoutMs: 35_000, random: () => rng.next() }, observer: rec.observer,
  });
  let next = 0;
  const arrive = () => {
    const dueMs = trafficStartMs + scheduleMs[next]!;
    while (next < scheduleMs.length && trafficStartMs + scheduleMs[next]! <= dueMs) {
      next++;
      gateway.submit('m', [{ input: { image: '' }, payloadBytes: 1000 }], () => undefined);
    }
    if (next < scheduleMs.length) clock.setTimer(trafficStartMs + scheduleMs[next]! - clock.nowMs(), arrive);
  };
  gateway.warmUp('m', maxInFlight, () => {
    trafficStartMs = clock.nowMs();
    clock.setTimer(scheduleMs[0]!, arrive);
  });
  while (clock.step()) {
    // until every request is answered
  }
  return rec;
}

/** The simulated path: simulatePolicy with a profile whose p50 = p99 = the scripted time, no overhead. */
function simulated(scheduleMs: readonly number[]) {
  let firstArrivalMs: number | undefined;
  const rec = recorder(() => firstArrivalMs! - scheduleMs[0]!);
  const policy: Policy = {
    name: 'scripted',
    create: () => ({
      config,
      observer: {
        onArrivals: (_model, _count, atMs) => void (firstArrivalMs ??= atMs),
        onBatch: rec.observer.onBatch!, onAnswer: rec.observer.onAnswer!,
      },
    }),
  };
  const result = simulatePolicy(policy, {
    model: 'm', scheduleMs, sloMs: config.sloMs, seed: 3, latency: fixedLatency({ 1: serviceMs }),
    platform: { overheadMs: { fixedMs: 0, perItemMs: 0 }, initMs: 100, keepAliveMs: 3_600_000 },
    maxInFlight, warmInstances: maxInFlight, payloadBytesPerItem: 1000,
  }, 'fn');
  return { ...rec, result };
}

describe('live and simulated serving', () => {
  it('make the same batches at the same times for scripted arrivals and a scripted service time', () => {
    const scheduleMs = scriptedArrivals();
    const a = live(scheduleMs);
    const b = simulated(scheduleMs);
    // The script exercises batching: full batches, partial ones at their deadline, and queueing.
    expect(new Set(a.batches.map((x) => x.size)).size).toBeGreaterThanOrEqual(3);
    expect(a.batches.some((x) => x.reason === 'full')).toBe(true);
    expect(a.batches.some((x) => x.reason === 'deadline')).toBe(true);
    expect(a.batches.reduce((sum, x) => sum + x.size, 0)).toBe(scheduleMs.length);
    expect(b.result.answered).toBe(scheduleMs.length);
    expect(b.result.coldStarts).toBe(maxInFlight); // the warm-ups' only
    expect(b.batches).toHaveLength(a.batches.length);
    for (let i = 0; i < a.batches.length; i++) {
      expect(b.batches[i]!.size, `batch ${i}`).toBe(a.batches[i]!.size);
      expect(b.batches[i]!.reason, `batch ${i}`).toBe(a.batches[i]!.reason);
      expect(b.batches[i]!.atMs, `batch ${i}`).toBeCloseTo(a.batches[i]!.atMs, 6);
    }
    expect(b.latenciesMs.length).toBe(a.latenciesMs.length);
    b.latenciesMs.forEach((ms, i) => expect(ms).toBeCloseTo(a.latenciesMs[i]!, 6));
  });
});
