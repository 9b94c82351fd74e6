import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { Gateway } from '../../src/serving/gateway.js';
import type { ModelConfig } from '../../src/serving/model-config.js';
import { echoOutcome, flush, ScriptedInvoker } from '../helpers/scripted-invoker.js';

const config: ModelConfig = { functionName: 'fn', batchSize: 4, processes: 2, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 };
const image = (n: number) => ({ input: { image: `img-${n}` }, payloadBytes: 100 });

function setup(overrides: Partial<ModelConfig> = {}, maxQueue = 100) {
  const clock = new VirtualClock();
  const invoker = new ScriptedInvoker();
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const gateway = new Gateway({
    invoker, clock, models: { mobilenetv2: { ...config, ...overrides } }, maxQueue,
    dispatcher: { maxInFlight: 2, invocationTimeoutMs: 5000, random },
  });
  return { clock, invoker, gateway };
}

describe('gateway batching under a virtual clock', () => {
  it('dispatches as soon as a full batch is queued, with the config in force', async () => {
    const { invoker, gateway } = setup();
    const answers = gateway.infer('mobilenetv2', [1, 2, 3, 4, 5].map(image));
    await flush();
    expect(invoker.calls).toHaveLength(1);
    const call = invoker.calls[0]!;
    expect(call.functionName).toBe('fn');
    expect(call.event).toMatchObject({ model: 'mobilenetv2', processes: 2, threadsPerProcess: 1 });
    expect(call.event.inputs.map((i) => (i as { image: string }).image)).toEqual(['img-1', 'img-2', 'img-3', 'img-4']);
    expect(gateway.queueDepth('mobilenetv2')).toBe(1);
    call.resolve(echoOutcome(call.event));
    await flush();
    void answers;
  });

  it('holds a partial batch until the oldest deadline minus the predicted service time', async () => {
    const { clock, invoker, gateway } = setup();
    void gateway.infer('mobilenetv2', [image(1)]);
    clock.advance(50);
    void gateway.infer('mobilenetv2', [image(2)]);
    await flush();
    expect(invoker.calls).toHaveLength(0);
    // Prior: 150 ms + 12.5 ms per item (25 ms / 2 processes): a batch of 2 must start by 300 - 175 = 125.
    clock.advance(74);
    await flush();
    expect(invoker.calls).toHaveLength(0);
    clock.advance(1);
    await flush();
    expect(invoker.calls).toHaveLength(1);
    expect(invoker.calls[0]!.event.inputs).toHaveLength(2);
  });

  it('plans a fast batch for three deviations of its service time, up to half the SLO', async () => {
    const { clock, invoker, gateway } = setup({ sloMs: 200 });
    // Six lone requests answered in 9 and 17 ms by turns: 13 ms mean, residual std sqrt(24).
    for (const [i, serviceMs] of [9, 17, 9, 17, 9, 17].entries()) {
      void gateway.infer('mobilenetv2', [image(i)]);
      while (invoker.calls.length === i) {
        clock.advance(1);
        await flush();
      }
      clock.advance(serviceMs);
      invoker.calls[i]!.resolve(echoOutcome(invoker.calls[i]!.event));
      await flush();
    }
    // Start by 200 - (13 + 3 sqrt(24)) = 172.3 ms; half the mean as the margin would wait until 180.5.
    void gateway.infer('mobilenetv2', [image(6)]);
    clock.advance(172);
    await flush();
    expect(invoker.calls).toHaveLength(6);
    clock.advance(1);
    await flush();
    expect(invoker.calls).toHaveLength(7);
  });

  it('splits a batch that would exceed the 6 MB invocation payload', async () => {
    const { invoker, gateway } = setup({ batchSize: 8 });
    const big = (n: number) => ({ input: { image: `big-${n}` }, payloadBytes: 2_500_000 });
    void gateway.infer('mobilenetv2', [big(1), big(2), big(3)]);
    await flush();
    expect(invoker.calls).toHaveLength(1);
    expect(invoker.calls[0]!.event.inputs).toHaveLength(2);
  });

  it('answers every request with its own output, in order, across batches', async () => {
    const { invoker, gateway } = setup();
    const first = gateway.infer('mobilenetv2', [1, 2, 3].map(image));
    const second = gateway.infer('mobilenetv2', [4, 5].map(image));
    await flush();
    const call = invoker.calls[0]!;
    call.resolve(echoOutcome(call.event));
    await flush();
    expect((await first).map((a) => ('top' in a ? a.top[0]!.label : a.error.code))).toEqual(['item-0', 'item-1', 'item-2']);
    expect(await Promise.race([second, Promise.resolve('pending')])).toBe('pending');
  });

  it('isolates a bad item: only it carries the error', async () => {
    const { invoker, gateway } = setup();
    const answers = gateway.infer('mobilenetv2', [1, 2, 3, 4].map(image));
    await flush();
    const call = invoker.calls[0]!;
    call.resolve(echoOutcome(call.event, (i) => (i === 2 ? { error: { code: 'IMAGE_DECODE_FAILED', message: 'bad' } } : undefined)));
    const result = await answers;
    expect(result.map((a) => ('error' in a ? a.error.code : 'ok'))).toEqual(['ok', 'ok', 'IMAGE_DECODE_FAILED', 'ok']);
  });

  it('retries a throttled invocation after a backoff, then answers once', async () => {
    const { clock, invoker, gateway } = setup();
    const answers = gateway.infer('mobilenetv2', [1, 2, 3, 4].map(image));
    await flush();
    invoker.calls[0]!.resolve({ ok: false, error: { kind: 'throttled', errorType: 'TooManyRequestsException', message: 'Rate Exceeded.' } });
    await flush();
    expect(invoker.calls).toHaveLength(1);
    clock.advance(1000);
    await flush();
    expect(invoker.calls).toHaveLength(2);
    const retry = invoker.calls[1]!;
    retry.resolve(echoOutcome(retry.event));
    expect((await answers).every((a) => 'top' in a)).toBe(true);
  });

  it('retries only the items of a crashed worker, in halves', async () => {
    const { clock, invoker, gateway } = setup();
    const answers = gateway.infer('mobilenetv2', [1, 2, 3, 4].map(image));
    await flush();
    const call = invoker.calls[0]!;
    call.resolve(echoOutcome(call.event, (i) => (i < 2 ? { error: { code: 'WORKER_CRASHED', message: 'killed' } } : undefined)));
    await flush();
    clock.advance(1000);
    await flush();
    const images = (k: number) => invoker.calls[k]!.event.inputs.map((i) => (i as { image: string }).image);
    expect(invoker.calls).toHaveLength(2);
    expect(images(1)).toEqual(['img-1']);
    invoker.calls[1]!.resolve(echoOutcome(invoker.calls[1]!.event));
    await flush();
    clock.advance(1000);
    await flush();
    expect(images(2)).toEqual(['img-2']);
    invoker.calls[2]!.resolve(echoOutcome(invoker.calls[2]!.event));
    expect((await answers).every((a) => 'top' in a)).toBe(true);
    expect(invoker.calls).toHaveLength(3);
  });

  it('halves a batch that runs out of memory until it fits, answering each request once', async () => {
    // 8 items, 3 attempts: 8 crash, 4 + 4 crash, then 2 + 2 + 2 + 2 fit (the function's limit here).
    const { clock, invoker, gateway } = setup({ batchSize: 8 });
    const answers = gateway.infer('mobilenetv2', [1, 2, 3, 4, 5, 6, 7, 8].map(image));
    let done = false;
    void answers.then(() => (done = true));
    const sizes: number[] = [];
    for (let step = 0; !done && step < 50; step++) {
      await flush();
      clock.advance(1000);
      await flush();
      const call = invoker.calls[sizes.length];
      if (!call) continue;
      sizes.push(call.event.inputs.length);
      if (call.event.inputs.length > 2) {
        call.resolve({ ok: false, error: { kind: 'function-error', errorType: 'Runtime.OutOfMemory', message: 'Runtime exited with error: signal: killed' } });
      } else {
        call.resolve(echoOutcome(call.event));
      }
    }
    const settled = await answers;
    expect(sizes).toEqual([8, 4, 2, 2, 4, 2, 2]);
    expect(settled.map((a) => ('top' in a ? a.top[0]!.label : a.error.code))).toEqual(['item-0', 'item-1', 'item-0', 'item-1', 'item-0', 'item-1', 'item-0', 'item-1']);
  });

  it('gives up after the last attempt with THROTTLED', async () => {
    const { clock, invoker, gateway } = setup();
    const answers = gateway.infer('mobilenetv2', [image(1)]);
    clock.advance(300);
    for (let attempt = 0; attempt < 3; attempt++) {
      await flush();
      invoker.calls[attempt]!.resolve({ ok: false, error: { kind: 'throttled', errorType: 'TooManyRequestsException', message: 'Rate Exceeded.' } });
      await flush();
      clock.advance(2000);
    }
    expect(await answers).toEqual([{ error: { code: 'THROTTLED', message: 'TooManyRequestsException: Rate Exceeded.' } }]);
    expect(invoker.calls).toHaveLength(3);
  });

  it('times out an invocation and ignores its late answer (exactly once)', async () => {
    const { clock, invoker, gateway } = setup();
    const answers = gateway.infer('mobilenetv2', [1, 2, 3, 4].map(image));
    await flush();
    clock.advance(5000);
    const settled = await answers;
    expect(settled.every((a) => 'error' in a && a.error.code === 'INVOCATION_TIMEOUT')).toBe(true);
    const late = invoker.calls[0]!;
    late.resolve(echoOutcome(late.event));
    await flush();
    expect(settled.every((a) => 'error' in a)).toBe(true);
  });

  it('bounds invocations in flight and sends more as slots free up', async () => {
    const { invoker, gateway } = setup({ batchSize: 1 });
    void gateway.infer('mobilenetv2', [1, 2, 3].map(image));
    await flush();
    expect(invoker.calls).toHaveLength(2);
    invoker.calls[0]!.resolve(echoOutcome(invoker.calls[0]!.event));
    await flush();
    expect(invoker.calls).toHaveLength(3);
  });

  it('answers a request of no items at once, invoking nothing', async () => {
    const { invoker, gateway } = setup();
    expect(await gateway.infer('mobilenetv2', [])).toEqual([]);
    await flush();
    expect(invoker.calls).toHaveLength(0);
  });

  it('refuses past the queue bound with QUEUE_FULL, all or nothing', async () => {
    const { gateway } = setup({ batchSize: 64 }, 3);
    void gateway.infer('mobilenetv2', [image(1), image(2)]);
    expect(() => gateway.infer('mobilenetv2', [image(3), image(4)])).toThrow(expect.objectContaining({ code: 'QUEUE_FULL' }));
    expect(gateway.queueDepth('mobilenetv2')).toBe(2);
    expect(gateway.retryAfterS('mobilenetv2')).toBeGreaterThanOrEqual(1);
  });

  it('drains on shutdown: sends what is queued at once, answers everything, refuses new work', async () => {
    const { invoker, gateway } = setup({ batchSize: 8 });
    const answers = gateway.infer('mobilenetv2', [1, 2, 3].map(image));
    const drained = gateway.drain();
    await flush();
    expect(invoker.calls).toHaveLength(1);
    expect(() => gateway.infer('mobilenetv2', [image(9)])).toThrow(expect.objectContaining({ code: 'SHUTTING_DOWN' }));
    invoker.calls[0]!.resolve(echoOutcome(invoker.calls[0]!.event));
    await drained;
    expect(await answers).toHaveLength(3);
  });

  it('changes batch size and memory when a new config is applied, warming as many instances as traffic used', async () => {
    const { clock, invoker, gateway } = setup();
    // Traffic keeps two invocations in flight for 4 s (batch size 4, maxInFlight 2; the timeout is 5 s).
    void gateway.infer('mobilenetv2', [1, 2, 3, 4, 5, 6, 7, 8].map(image));
    const traffic = invoker.calls.splice(0);
    expect(traffic).toHaveLength(2);
    clock.advance(4000);
    for (const call of traffic) call.resolve(echoOutcome(call.event));
    let applied = false;
    gateway.applyConfig('mobilenetv2', { ...config, batchSize: 2, memoryMb: 3538 }, (error) => {
      expect(error).toBeUndefined();
      applied = true;
    });
    // One empty batch per instance traffic kept busy, at the new memory; in force once they answered.
    const warmUps = invoker.calls.splice(0);
    expect(warmUps.map((call) => call.event.inputs.length)).toEqual([0, 0]);
    expect(invoker.memoryMb).toBe(3538);
    expect(applied).toBe(false);
    for (const call of warmUps) call.resolve(echoOutcome(call.event));
    expect(applied).toBe(true);
    void gateway.infer('mobilenetv2', [1, 2, 3].map(image));
    await flush();
    expect(invoker.calls[0]!.event.inputs).toHaveLength(2);
  });

  it('holds a batch per warming instance while a new memory size warms up; a batch beyond them goes at once', async () => {
    const { invoker, gateway } = setup({ batchSize: 2 }, 100);
    gateway.applyConfig('mobilenetv2', { ...config, batchSize: 2, memoryMb: 3538 }, () => undefined);
    const warmUps = invoker.calls.splice(0);
    expect(warmUps.map((call) => call.event.inputs.length)).toEqual([0]);
    // A full batch arrives during the warm-up: it waits for it rather than start a cold instance.
    void gateway.infer('mobilenetv2', [1, 2].map(image));
    await flush();
    expect(invoker.calls).toHaveLength(0);
    // A second one would wait behind the first: it goes now, as it would have without the hold.
    void gateway.infer('mobilenetv2', [3, 4, 5].map(image));
    await flush();
    expect(invoker.calls.map((call) => call.event.inputs.length)).toEqual([2]);
    warmUps[0]!.resolve(echoOutcome(warmUps[0]!.event));
    await flush();
    // The warm-up answered: the batch that waited goes to it (the partial one waits for its deadline).
    expect(invoker.calls.map((call) => call.event.inputs.length)).toEqual([2, 2]);
  });

  it('warms what traffic keeps busy now, not the peak of a burst long past', async () => {
    const { clock, invoker, gateway } = setup();
    // A burst: two invocations in flight for a moment, then a long quiet spell.
    void gateway.infer('mobilenetv2', [1, 2, 3, 4, 5, 6, 7, 8].map(image));
    for (const call of invoker.calls.splice(0)) call.resolve(echoOutcome(call.event));
    await flush();
    clock.advance(300_000);
    gateway.applyConfig('mobilenetv2', { ...config, memoryMb: 3538 }, () => undefined);
    expect(invoker.calls.splice(0).map((call) => call.event.inputs.length)).toEqual([0]);
  });

  it('routes a share of the requests to a trial lane on a function of its own, warmed first, and none once it is emptied', async () => {
    const clock = new VirtualClock();
    const invoker = new ScriptedInvoker();
    const answers: boolean[] = [];
    const gateway = new Gateway({
      invoker, clock, models: { mobilenetv2: { ...config, batchSize: 1 } },
      dispatcher: { maxInFlight: 16, random: () => 0.5 },
      observer: { onAnswer: (_model, _arrivalMs, _latencyMs, _answer, trial) => void answers.push(trial) },
    });
    expect(() => gateway.applyTrial('mobilenetv2', { ...config, memoryMb: 3538 }, 0.25, () => undefined)).toThrow(/other than the one in force/);
    let inForce = false;
    gateway.applyTrial('mobilenetv2', { ...config, functionName: 'fn-trial', batchSize: 1, memoryMb: 3538 }, 0.25, () => (inForce = true));
    const warmUps = invoker.calls.splice(0);
    expect(warmUps.map((call) => [call.functionName, call.event.inputs.length])).toEqual([['fn-trial', 0]]);
    expect(invoker.memoryMbOf).toEqual({ 'fn-trial': 3538 });
    warmUps[0]!.resolve(echoOutcome(warmUps[0]!.event));
    expect(inForce).toBe(true);
    expect(gateway.trialConfig('mobilenetv2')?.memoryMb).toBe(3538);
    expect(gateway.config('mobilenetv2').memoryMb).toBe(1769);
    // Every fourth request goes to the trial lane.
    const answered = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => gateway.infer('mobilenetv2', [image(n)]));
    await flush();
    const calls = invoker.calls.splice(0);
    expect(calls.map((call) => call.functionName)).toEqual(['fn', 'fn', 'fn', 'fn-trial', 'fn', 'fn', 'fn', 'fn-trial']);
    for (const call of calls) call.resolve(echoOutcome(call.event));
    for (const answer of await Promise.all(answered)) expect('error' in answer[0]!).toBe(false);
    expect(answers.filter((trial) => trial)).toHaveLength(2);
    expect(answers).toHaveLength(8);
    // Emptied: everything goes to the configuration in force again.
    gateway.applyTrial('mobilenetv2', undefined, 0, () => undefined);
    expect(gateway.trialConfig('mobilenetv2')).toBeUndefined();
    void Promise.all([1, 2, 3, 4].map((n) => gateway.infer('mobilenetv2', [image(n)])));
    await flush();
    expect(invoker.calls.map((call) => call.functionName)).toEqual(['fn', 'fn', 'fn', 'fn']);
  });
});
