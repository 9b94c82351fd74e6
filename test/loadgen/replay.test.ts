import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoopInvoker } from '../../src/bench/noop-invoker.js';
import { meteredGateway } from '../../src/gateway/metrics-observer.js';
import { createHttpServer } from '../../src/gateway/http-server.js';
import { shutdownGateway } from '../../src/gateway/shutdown.js';
import { runLoadgen } from '../../src/loadgen/loadgen.js';
import { systemClock } from '../../src/util/system-clock.js';

// 40 arrivals 0.5 s apart (a 19.5 s span) as Azure-style date-times; at time scale 50 the
// replay should take about 390 ms plus one answer's latency.
const rows = Array.from({ length: 40 }, (_, i) => {
  const ms = 30_000 + i * 500;
  return `2023-11-16 18:15:${String(Math.floor(ms / 1000)).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}0000,100,10`;
});
const scale = 50;
const spanMs = (39 * 500) / scale;
const invocationMs = 50;

describe('ferry loadgen against a real gateway (HTTP on 127.0.0.1)', () => {
  let trace: string;
  let url: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-loadgen-'));
    trace = path.join(dir, 'synthetic.csv');
    writeFileSync(trace, ['TIMESTAMP,ContextTokens,GeneratedTokens', ...rows].join('\r\n'));
    // NoopInvoker stands in for the platform: no model runs; each invocation answers all
    // its items after 50 ms, so that a closed loop would take 40 x 50 ms.
    const { gateway, metrics } = meteredGateway({
      invoker: new NoopInvoker(invocationMs), clock: systemClock(),
      models: { mobilenetv2: { functionName: 'mobilenetv2', batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 } },
      dispatcher: { maxInFlight: 64, random: Math.random },
    });
    const app = createHttpServer(gateway, metrics);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    stop = () => shutdownGateway(app, gateway);
  });
  afterAll(async () => stop());

  it('replays open loop: every request sent on time and answered 200, billed by the gateway', async () => {
    const { report, result } = await runLoadgen({ url, model: 'mobilenetv2', trace, timeScale: scale });
    expect(report.scheduled).toBe(40);
    expect(report.sent).toBe(40);
    expect(report.dropped).toBe(0);
    expect(report.byStatus).toEqual({ 200: 40 });
    expect(report.errorsByCode).toEqual({});
    expect(report.latency!.p50Ms).toBeGreaterThanOrEqual(invocationMs);
    // Open loop: requests leave on the scaled schedule (390 ms), and the replay lasts about
    // that plus one latency, far from the sum of the latencies (at least 40 x 50 ms = 2 s)
    // that a request-after-request client would need. Bounds are loose for busy machines.
    const sumOfLatenciesMs = result.answers.reduce((sum, a) => sum + a.latencyMs, 0);
    expect(sumOfLatenciesMs).toBeGreaterThanOrEqual(40 * invocationMs);
    expect(report.sendSpanS * 1000).toBeGreaterThanOrEqual(spanMs - 1);
    expect(report.sendSpanS * 1000).toBeLessThan(spanMs + 250);
    expect(report.durationS * 1000).toBeLessThan(Math.min(spanMs + 800, sumOfLatenciesMs / 1.5));
    expect(report.sendLagMaxMs).toBeLessThan(150);
    expect(report.offeredRps).toBeCloseTo(1000 / (500 / scale), 6);
    // The gateway's own counters for the run: batch size 1, so one invocation each.
    expect(report.gateway).toMatchObject({ invocations: 40, coldStarts: 0, meanBatchSize: 1 });
    expect(report.gateway!.costPer1kUsd).toBeGreaterThan(0);
    expect(report.sloMs).toBe(300);
    expect(report.sloAttainment).toBe(1);
  });

  it('drops requests due while --max-outstanding are in flight instead of queueing them', async () => {
    const { report } = await runLoadgen({ url, model: 'mobilenetv2', trace, timeScale: scale, maxOutstanding: 2 });
    expect(report.dropped).toBeGreaterThan(0);
    expect(report.sent + report.dropped).toBe(40);
    expect(report.byStatus).toEqual({ 200: report.sent });
  });

  it('says, with a code, when the gateway does not serve the model or the trace is cut to nothing', async () => {
    await expect(runLoadgen({ url, model: 'ocr-cls', trace, timeScale: scale })).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' });
    await expect(runLoadgen({ url, model: 'mobilenetv2', trace, startS: 100 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(runLoadgen({ url: 'http://127.0.0.1:1', model: 'mobilenetv2', trace })).rejects.toThrow(/Could not reach the gateway/);
  });
});
