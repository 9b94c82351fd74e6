import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFile } from '../../src/function/models/registry.js';
import { meteredGateway } from '../../src/gateway/metrics-observer.js';
import { createHttpServer } from '../../src/gateway/http-server.js';
import type { ModelConfig } from '../../src/serving/model-config.js';
import { shutdownGateway } from '../../src/gateway/shutdown.js';
import { LocalInvoker } from '../../src/platform/local/local-invoker.js';
import { LocalRuntime } from '../../src/platform/local/runtime.js';
import { systemClock } from '../../src/util/system-clock.js';
import { testCacheDir } from '../helpers/function.js';
import { processAlive, waitFor } from '../helpers/runtime.js';

const png = readFileSync(sampleFile('cartoon-house.png'));
const config: ModelConfig = { functionName: 'mobilenetv2', batchSize: 4, processes: 2, threadsPerProcess: 1, memoryMb: 3538, sloMs: 1000 };

function start(onArrivals: (count: number) => void = () => undefined) {
  const runtime = new LocalRuntime({
    functions: [{ name: 'mobilenetv2', model: 'mobilenetv2', memoryMb: config.memoryMb, timeoutS: 60, handler: 'index.handler' }],
    cacheDir: testCacheDir,
    initTimeoutMs: 30_000,
    concurrency: 2,
  });
  const { gateway, metrics } = meteredGateway({
    invoker: new LocalInvoker(runtime), clock: systemClock(), models: { mobilenetv2: config },
    dispatcher: { maxInFlight: 2, random: Math.random },
    observers: [{ onArrivals: (_model, count) => onArrivals(count) }],
  });
  const app = createHttpServer(gateway, metrics);
  return { runtime, gateway, app };
}

const classify = (url: string) =>
  fetch(`${url}/v2/models/mobilenetv2/classify`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });

describe('gateway over a real socket, with the real runtime and model', () => {
  let live: ReturnType<typeof start>;
  let url: string;
  beforeAll(async () => {
    live = start();
    url = await live.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await shutdownGateway(live.app, live.gateway);
    await live.runtime.close();
  });

  it('classifies the sample image', async () => {
    const response = await classify(url);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { top: Array<{ label: string; probability: number }> };
    expect(body.top[0]!.label).toBe('Neutral');
  });

  it('batches concurrent requests and meters their cost', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, () => classify(url)));
    expect(responses.map((r) => r.status)).toEqual(new Array(8).fill(200));
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const batches = Number(/ferry_batch_size_count\{model="mobilenetv2",reason="full"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(batches).toBeGreaterThanOrEqual(1);
    const costUsd = Number(/ferry_cost_usd_total\{model="mobilenetv2"\} ([\d.e-]+)/.exec(metrics)?.[1] ?? 0);
    expect(costUsd).toBeGreaterThan(0);
    expect(Number(/ferry_cold_starts_total\{model="mobilenetv2"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
  });
});

describe('graceful shutdown', () => {
  it('answers every request in flight, then reaps every instance', async () => {
    let received = 0;
    const live = start((count) => (received += count));
    const url = await live.app.listen({ port: 0, host: '127.0.0.1' });
    await classify(url); // warm
    const inFlight = Array.from({ length: 6 }, () => classify(url));
    // Shut down once all six are accepted (a request that arrives later is refused with 503).
    await waitFor(() => received === 7, 10_000);
    const pids = live.runtime.instances('mobilenetv2').pids;
    await shutdownGateway(live.app, live.gateway);
    const statuses = await Promise.all(inFlight.map(async (r) => (await r).status));
    expect(statuses).toEqual(new Array(6).fill(200));
    await live.runtime.close();
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    await expect(classify(url)).rejects.toThrow();
  });
});
