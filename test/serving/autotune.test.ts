import { describe, expect, it } from 'vitest';
import { NoopInvoker } from '../../src/bench/noop-invoker.js';
import { createChangePointDetector } from '../../src/core/change-point/detectors.js';
import type { ControllerOptions, Tuner } from '../../src/core/tuning-controller.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { describeTuningEvent } from '../../src/gateway/tuning-output.js';
import { Autotune } from '../../src/serving/autotune.js';
import { TuningEventSink } from '../../src/serving/events.js';
import { Gateway } from '../../src/serving/gateway.js';

/** A gateway on a no-op invoker and a virtual clock, tuned by a tuner whose observe() throws. */
function brokenTuning(windows: Pick<ControllerOptions, 'minRequests' | 'minWindowMs'>) {
  const lines: string[] = [];
  const sink = new TuningEventSink();
  sink.subscribe((event) => lines.push(`ferry tune ${event.model}: ${describeTuningEvent(event)}`));
  const clock = new VirtualClock();
  const autotune = new Autotune(sink, clock);
  const gateway = new Gateway({
    invoker: new NoopInvoker(), clock, observer: autotune,
    models: { mobilenetv2: { functionName: 'mobilenetv2', batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 } },
    dispatcher: { maxInFlight: 4, random: () => 0.5 },
  });
  const state = { observed: 0 };
  const broken: Tuner = {
    suggest: () => ({ memoryMb: 1769, batchSize: 1, processes: 1, reason: 'stay' }),
    observe: () => {
      state.observed++;
      throw new RangeError('a tuner bug');
    },
    restart: () => undefined,
  };
  autotune.start(gateway, [{ model: 'mobilenetv2', tuner: broken, detector: createChangePointDetector('cusum') }], { ...windows, remeasureStart: false });
  const infer = () => gateway.infer('mobilenetv2', [{ input: { image: 'x' }, payloadBytes: 10 }]);
  return { lines, autotune, clock, state, infer };
}

describe('Autotune', () => {
  it('stops tuning a model whose tuner fails, and keeps the gateway serving', async () => {
    const { lines, autotune, state, infer } = brokenTuning({ minRequests: 3, minWindowMs: 0 });
    // The gateway settles requests and tells the tuner; the third closes a window, whose
    // observe() throws inside the gateway's settle path.
    for (let i = 0; i < 6; i++) {
      const answer = await infer();
      expect(answer).toHaveLength(1);
      expect('error' in answer[0]!).toBe(false);
    }
    expect(state.observed).toBe(1);
    expect(lines.some((line) => /ferry tune mobilenetv2: tuning stopped, serving on with the current configuration: RangeError: a tuner bug/.test(line))).toBe(true);
    autotune.stop();
  });

  it('also when the failure comes from the controller\'s own interval timer', async () => {
    // Many requests needed, but a window of at least 5 s: the timer, not an answer, closes it.
    const { lines, autotune, clock, infer } = brokenTuning({ minRequests: 1, minWindowMs: 5000 });
    await infer();
    expect(() => clock.advance(6000)).not.toThrow();
    expect(lines.some((line) => /tuning stopped, serving on/.test(line))).toBe(true);
    const answer = await infer();
    expect('error' in answer[0]!).toBe(false);
    autotune.stop();
  });

  it('runs trials on a second function beside the configuration in force, and a kept trial takes that function over', async () => {
    const sink = new TuningEventSink();
    const lines: string[] = [];
    sink.subscribe((event) => lines.push(describeTuningEvent(event)));
    const clock = new VirtualClock();
    const autotune = new Autotune(sink, clock);
    const invoker = new NoopInvoker();
    const gateway = new Gateway({
      invoker, clock, observer: autotune,
      models: { mobilenetv2: { functionName: 'mobilenetv2', batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 } },
      dispatcher: { maxInFlight: 4, random: () => 0.5 },
    });
    const home = { memoryMb: 1769, batchSize: 1, processes: 1 };
    const candidate = { memoryMb: 2048, batchSize: 1, processes: 2 };
    const state: { best: typeof home; suggestion: typeof home } = { best: home, suggestion: candidate };
    const tuner: Tuner = {
      suggest: () => ({ ...state.suggestion, reason: 'scripted' }),
      observe: () => undefined,
      restart: () => undefined,
      best: () => ({ config: state.best }),
    };
    const functions: string[] = [];
    const observer = autotune.onInvocation.bind(autotune);
    autotune.onInvocation = (record) => {
      if (!record.warmup) functions.push(record.functionName);
      observer(record);
    };
    autotune.start(gateway, [{ model: 'mobilenetv2', tuner, detector: createChangePointDetector('cusum') }], {
      minRequests: 3, minWindowMs: 0, remeasureStart: false, slice: { share: 0.5 },
    });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const send = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await gateway.infer('mobilenetv2', [{ input: { image: 'x' }, payloadBytes: 10 }]);
        await settle();
      }
    };
    // The first window (3 requests) has a configuration within the SLO: the suggestion goes on a slice.
    await send(3);
    expect(gateway.trialConfig('mobilenetv2')).toMatchObject({ ...candidate, functionName: 'mobilenetv2-trial' });
    expect(await invoker.getMemoryMb('mobilenetv2-trial')).toBe(2048);
    functions.length = 0;
    await send(4);
    expect(functions).toEqual(['mobilenetv2', 'mobilenetv2-trial', 'mobilenetv2', 'mobilenetv2-trial']);
    expect(lines).toContainEqual(expect.stringMatching(/^applied 2048 MB, batch 1, 2 process\(es\): scripted; on 50% of the traffic/));
    // The trial is kept: the configuration in force moves to the trial's (warm) function.
    state.best = candidate;
    state.suggestion = candidate;
    await send(2);
    expect(gateway.trialConfig('mobilenetv2')).toBeUndefined();
    expect(gateway.config('mobilenetv2')).toMatchObject({ ...candidate, functionName: 'mobilenetv2-trial' });
    expect(autotune.config('mobilenetv2')).toEqual(candidate);
    expect(lines).toContainEqual(expect.stringMatching(/^measured 2048 MB, batch 1, 2 process\(es\) on 50% of the traffic at /));
    // The next trial gets the other function.
    state.suggestion = { memoryMb: 3008, batchSize: 1, processes: 1 };
    await send(6);
    expect(gateway.trialConfig('mobilenetv2')).toMatchObject({ memoryMb: 3008, functionName: 'mobilenetv2' });
    expect(await invoker.getMemoryMb('mobilenetv2')).toBe(3008);
    autotune.stop();
  });
});
