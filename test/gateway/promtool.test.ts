import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChangePointDetector } from '../../src/core/change-point/detectors.js';
import type { Tuner } from '../../src/core/tuning-controller.js';
import { sampleFile } from '../../src/function/models/registry.js';
import { startServing, type Serving } from '../../src/gateway/start-serving.js';
import { subscribeTuningOutput } from '../../src/gateway/tuning-output.js';
import { Autotune } from '../../src/serving/autotune.js';
import { TuningEventSink } from '../../src/serving/events.js';
import type { ModelConfig } from '../../src/serving/model-config.js';
import { systemClock } from '../../src/util/system-clock.js';
import { testCacheDir } from '../helpers/function.js';
import { familiesWithoutSamples, populatedMetrics, promtoolCheckMetrics, promtoolInstalled, promtoolMissing, withEveryFamilySampled } from '../helpers/prometheus.js';
import { waitFor } from '../helpers/runtime.js';

const hasPromtool = promtoolInstalled();
if (!hasPromtool) console.warn(`test/gateway/promtool.test.ts skipped: ${promtoolMissing}`);

const config: ModelConfig = { functionName: 'mobilenetv2', batchSize: 2, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 2000 };

/** Keeps the configuration it has: this test is about what tuning exports, not how it tunes. */
const stayPut: Tuner = {
  suggest: () => ({ memoryMb: config.memoryMb, batchSize: config.batchSize, processes: config.processes, reason: 'stay' }),
  observe: () => undefined,
  restart: () => undefined,
};

describe.skipIf(!hasPromtool)('promtool check metrics', () => {
  let serving: Serving;
  let autotune: Autotune;
  const printed: string[] = [];
  beforeAll(async () => {
    // What `ferry serve --tune` puts together: the real runtime and model, over a socket.
    const sink = new TuningEventSink();
    autotune = new Autotune(sink, systemClock());
    serving = await startServing({
      models: { mobilenetv2: config }, backend: { kind: 'local', cacheDir: testCacheDir, keepAliveMs: 60_000 },
      concurrency: 1, maxQueue: 100, host: '127.0.0.1', port: 0, observers: [autotune],
    });
    subscribeTuningOutput(sink, { metrics: serving.metrics, print: (line) => printed.push(line) });
    autotune.start(serving.gateway, [{ model: 'mobilenetv2', tuner: stayPut, detector: createChangePointDetector('bocpd') }], { minRequests: 4, minWindowMs: 0 });
  });
  afterAll(async () => {
    await serving?.close();
    autotune?.stop();
  });

  it("passes on a live gateway's /metrics with no warning, every family sampled", async () => {
    const png = readFileSync(sampleFile('cartoon-house.png'));
    const classify = (model: string) => fetch(`${serving.url}/v2/models/${model}/classify`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
    const statuses = await Promise.all([1, 2, 3, 4].map(async () => (await classify('mobilenetv2')).status));
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect((await classify('resnet')).status).toBe(404);
    expect(await waitFor(() => printed.some((line) => line.includes('measured')), 10_000)).toBe(true);

    const scrape = await (await fetch(`${serving.url}/metrics`)).text();
    // promtool skips a family without samples: each must have one for the lint to see its name.
    expect(familiesWithoutSamples(scrape)).toEqual([]);
    expect(promtoolCheckMetrics(scrape)).toEqual({ status: 0, output: '' });
  });

  it("passes with prom-client's default process and Node.js metrics turned on", async () => {
    const scrape = withEveryFamilySampled(await populatedMetrics({ defaultMetrics: true }).registry.metrics());
    expect(scrape).toMatch(/^process_cpu_seconds_total /m);
    expect(familiesWithoutSamples(scrape)).toEqual([]);
    expect(promtoolCheckMetrics(scrape)).toEqual({ status: 0, output: '' });
  });

  it('fails a name with an abbreviated unit (the check can fail)', () => {
    const result = promtoolCheckMetrics('# HELP ferry_x_ms x\n# TYPE ferry_x_ms gauge\nferry_x_ms 1\n');
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/abbreviated units/);
  });
});
