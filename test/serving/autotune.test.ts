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
  autotune.start(gateway, [{ model: 'mobilenetv2', tuner: broken, detector: createChangePointDetector('cusum') }], windows);
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
});
