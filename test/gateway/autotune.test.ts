import { describe, expect, it } from 'vitest';
import { NoopInvoker } from '../../src/bench/noop-invoker.js';
import { createChangePointDetector } from '../../src/core/change-point/detectors.js';
import type { Tuner } from '../../src/core/tuning-controller.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { Autotune } from '../../src/gateway/autotune.js';
import { Gateway } from '../../src/gateway/gateway.js';

describe('Autotune', () => {
  it('stops tuning a model whose tuner fails, and keeps the gateway serving', async () => {
    const lines: string[] = [];
    const autotune = new Autotune((line) => lines.push(line));
    const clock = new VirtualClock();
    const gateway = new Gateway({
      invoker: new NoopInvoker(), clock, observer: autotune,
      models: { mobilenetv2: { functionName: 'mobilenetv2', batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 } },
      dispatcher: { maxInFlight: 4, random: () => 0.5 },
    });
    let observed = 0;
    const broken: Tuner = {
      suggest: () => ({ memoryMb: 1769, batchSize: 1, processes: 1, reason: 'stay' }),
      observe: () => {
        observed++;
        throw new RangeError('a tuner bug');
      },
      restart: () => undefined,
    };
    autotune.start(gateway, clock, [{ model: 'mobilenetv2', tuner: broken, detector: createChangePointDetector('cusum') }], undefined, { minRequests: 3, minWindowMs: 0 });
    // The gateway settles requests and tells the tuner; the third closes a window, whose
    // observe() throws inside the gateway's settle path.
    for (let i = 0; i < 6; i++) {
      const answer = await gateway.infer('mobilenetv2', [{ input: { image: 'x' }, payloadBytes: 10 }]);
      expect(answer).toHaveLength(1);
      expect('error' in answer[0]!).toBe(false);
    }
    expect(observed).toBe(1);
    expect(lines.some((line) => /ferry tune mobilenetv2: tuning stopped, serving on with the current configuration: RangeError: a tuner bug/.test(line))).toBe(true);
    await autotune.stop();
  });

  it('also when the failure comes from the controller\'s own interval timer', async () => {
    const lines: string[] = [];
    const autotune = new Autotune((line) => lines.push(line));
    const clock = new VirtualClock();
    const gateway = new Gateway({
      invoker: new NoopInvoker(), clock, observer: autotune,
      models: { mobilenetv2: { functionName: 'mobilenetv2', batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 } },
      dispatcher: { maxInFlight: 4, random: () => 0.5 },
    });
    const broken: Tuner = {
      suggest: () => ({ memoryMb: 1769, batchSize: 1, processes: 1, reason: 'stay' }),
      observe: () => {
        throw new RangeError('a tuner bug');
      },
      restart: () => undefined,
    };
    // Many requests needed, but a window of at least 5 s: the timer, not an answer, closes it.
    autotune.start(gateway, clock, [{ model: 'mobilenetv2', tuner: broken, detector: createChangePointDetector('cusum') }], undefined, { minRequests: 1, minWindowMs: 5000 });
    await gateway.infer('mobilenetv2', [{ input: { image: 'x' }, payloadBytes: 10 }]);
    expect(() => clock.advance(6000)).not.toThrow();
    expect(lines.some((line) => /tuning stopped, serving on/.test(line))).toBe(true);
    const answer = await gateway.infer('mobilenetv2', [{ input: { image: 'x' }, payloadBytes: 10 }]);
    expect('error' in answer[0]!).toBe(false);
    await autotune.stop();
  });
});
