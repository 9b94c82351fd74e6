import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isItemError } from '../../src/core/function-event.js';
import { invokeAsync, setMemoryMbAsync, type FunctionInvoker } from '../../src/core/invoker.js';
import { LambdaInvoker } from '../../src/platform/lambda/lambda-invoker.js';
import { createLambdaApi, listen } from '../../src/platform/local/lambda-api.js';
import { LocalInvoker } from '../../src/platform/local/local-invoker.js';
import { LocalRuntime } from '../../src/platform/local/runtime.js';
import { testCacheDir } from '../helpers/function.js';
import { imageEvent } from '../helpers/runtime.js';

interface Harness {
  invoker: FunctionInvoker;
  close(): Promise<void>;
}

function newRuntime(): LocalRuntime {
  return new LocalRuntime({
    functions: [{ name: 'demo', model: 'mobilenetv2', memoryMb: 1769, timeoutS: 60, handler: 'index.handler' }],
    cacheDir: testCacheDir,
    // Cold starts run TypeScript from source on a busy 2-core machine: allow more than Lambda's 10 s.
    initTimeoutMs: 30_000,
    concurrency: 1,
  });
}

/**
 * One contract, every FunctionInvoker. AWS itself cannot be reached here, so the `lambda`
 * invoker (the real AWS SDK v3 client) runs against the local runtime's Lambda API over
 * real HTTP on 127.0.0.1: that is the only stand-in in this suite.
 */
const harnesses: Record<string, () => Promise<Harness>> = {
  local: async () => {
    const runtime = newRuntime();
    return { invoker: new LocalInvoker(runtime), close: () => runtime.close() };
  },
  lambda: async () => {
    const runtime = newRuntime();
    const server: Server = createLambdaApi(runtime);
    const address = await listen(server, 0);
    const invoker = new LambdaInvoker({
      endpoint: `http://127.0.0.1:${address.port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      updateWaitS: 30,
    });
    return {
      invoker,
      close: async () => {
        await invoker.close();
        server.close();
        await runtime.close();
      },
    };
  },
};

for (const [name, makeHarness] of Object.entries(harnesses)) {
  describe(`FunctionInvoker contract: ${name}`, () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await makeHarness();
    });
    afterAll(async () => {
      await harness.close();
    });

    it('invokes a batch and returns one output per input with a billing record', async () => {
      const outcome = await invokeAsync(harness.invoker, 'demo', imageEvent(3, 2));
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.result.outputs).toHaveLength(3);
      expect(outcome.result.outputs.some(isItemError)).toBe(false);
      expect(outcome.result.processes).toBe(2);
      expect(outcome.billing).toMatchObject({ memoryMb: 1769 });
      expect(outcome.billing!.billedDurationMs).toBeGreaterThanOrEqual(Math.ceil(outcome.billing!.durationMs));
      expect(outcome.billing!.initDurationMs).toBeGreaterThan(0);
      expect(outcome.billing!.costUsd).toBeGreaterThan(0);
    });

    it('fails a bad item alone', async () => {
      const outcome = await invokeAsync(harness.invoker, 'demo', {
        model: 'mobilenetv2',
        inputs: [{ image: Buffer.from('nope').toString('base64') }, imageEvent(1).inputs[0]!],
      });
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.result.outputs[0]).toMatchObject({ error: { code: 'IMAGE_DECODE_FAILED' } });
      expect(isItemError(outcome.result.outputs[1]!)).toBe(false);
    });

    it('reports a malformed event as a function error carrying the ferry code', async () => {
      const outcome = await invokeAsync(harness.invoker, 'demo', { model: 'resnet-9000', inputs: [] });
      expect(outcome).toMatchObject({ ok: false, error: { kind: 'function-error', errorType: 'UNKNOWN_MODEL' } });
    });

    it('reports an unknown function as not-found', async () => {
      const outcome = await invokeAsync(harness.invoker, 'missing', imageEvent(1));
      expect(outcome).toMatchObject({ ok: false, error: { kind: 'not-found', errorType: 'ResourceNotFoundException' } });
    });

    it('reports throttling past the concurrency limit', async () => {
      const outcomes = await Promise.all([invokeAsync(harness.invoker, 'demo', imageEvent(8)), invokeAsync(harness.invoker, 'demo', imageEvent(8))]);
      const throttled = outcomes.filter((o) => !o.ok && o.error.kind === 'throttled');
      expect(throttled).toHaveLength(1);
      expect(throttled[0]).toMatchObject({ error: { errorType: 'TooManyRequestsException' } });
    });

    it('changes memory, and new invocations run (and are billed) with it', async () => {
      await setMemoryMbAsync(harness.invoker, 'demo', 1024);
      expect(await harness.invoker.getMemoryMb('demo')).toBe(1024);
      const outcome = await invokeAsync(harness.invoker, 'demo', imageEvent(1));
      expect(outcome.ok).toBe(true);
      expect(outcome.billing).toMatchObject({ memoryMb: 1024 });
    });
  });
}
