import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { sampleFile } from '../../src/function/models/registry.js';
import { statusJson } from '../../src/gateway/dashboard.js';
import { createHttpServer } from '../../src/gateway/http-server.js';
import { meteredGateway } from '../../src/gateway/metrics-observer.js';
import type { ModelConfig } from '../../src/serving/model-config.js';
import { StatusRecorder } from '../../src/serving/status-recorder.js';
import { inject } from '../helpers/inject.js';
import { echoOutcome, ScriptedInvoker } from '../helpers/scripted-invoker.js';

const config: ModelConfig = { functionName: 'fn', batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 };
const png = readFileSync(sampleFile('cartoon-house.png'));

function setup(token?: string) {
  const invoker = new ScriptedInvoker();
  const clock = new VirtualClock();
  const status = new StatusRecorder(clock, { windowMs: 1000 });
  const { gateway, metrics } = meteredGateway({
    invoker, clock, models: { mobilenetv2: config }, dispatcher: { maxInFlight: 4, random: () => 0.5 }, observers: [status],
  });
  const app = createHttpServer(gateway, metrics, { ...(token ? { token } : {}), status: () => statusJson(status, gateway) });
  const answerAll = setInterval(() => {
    for (const call of invoker.calls.splice(0)) call.resolve(echoOutcome(call.event));
  }, 1);
  return { app, status, clock, stop: () => clearInterval(answerAll) };
}

let stop = () => undefined as void;
afterEach(() => stop());

describe('GET /dashboard and /v2/ferry/status', () => {
  it('serves one self-contained page: no script, style or image from elsewhere', async () => {
    const s = setup();
    stop = s.stop;
    const response = await inject(s.app, { method: 'GET', url: '/dashboard' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = response.body;
    expect(html).toContain('/v2/ferry/status');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href="(?!data:)/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    // Small: a dashboard should not cost more than the answers it shows.
    expect(Buffer.byteLength(html)).toBeLessThan(40_000);
  });

  it('answers what serving did, per model, as JSON', async () => {
    const s = setup();
    stop = s.stop;
    for (let i = 0; i < 3; i++) {
      const answer = await inject(s.app, { method: 'POST', url: '/v2/models/mobilenetv2/classify', headers: { 'content-type': 'image/png' }, payload: png });
      expect(answer.statusCode).toBe(200);
    }
    s.status.onTuningEvent({ model: 'mobilenetv2', kind: 'applied', atMs: 0, config: { memoryMb: 1769, batchSize: 4, processes: 1 }, reason: 'initial design 1/8' });
    const response = await inject(s.app, { method: 'GET', url: '/v2/ferry/status' });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { windowMs: number; accepting: boolean; models: Array<Record<string, never>> };
    expect(body).toMatchObject({ windowMs: 1000, accepting: true });
    const [model] = body.models;
    expect(model).toMatchObject({ model: 'mobilenetv2', queueDepth: 0, config: { memoryMb: 1769, batchSize: 1, sloMs: 300 }, totals: { arrivals: 3, answered: 3 } });
    expect(model!.tuning).toEqual([expect.objectContaining({ kind: 'applied', text: 'applied 1769 MB, batch 4, 1 process(es): initial design 1/8' })]);
  });

  it('keeps the data behind the token; the page itself carries none and asks for it', async () => {
    const s = setup('s3cret');
    stop = s.stop;
    expect((await inject(s.app, { method: 'GET', url: '/v2/ferry/status' })).statusCode).toBe(401);
    expect((await inject(s.app, { method: 'GET', url: '/v2/ferry/status', headers: { authorization: 'Bearer wrong!' } })).statusCode).toBe(401);
    expect((await inject(s.app, { method: 'GET', url: '/v2/ferry/status', headers: { authorization: 'Bearer s3cret' } })).statusCode).toBe(200);
    const page = await inject(s.app, { method: 'GET', url: '/dashboard' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('mobilenetv2');
    // Only the exact path is open: nothing under it.
    expect((await inject(s.app, { method: 'GET', url: '/dashboard/x' })).statusCode).toBe(401);
  });

  it('has neither route on a server given no status', async () => {
    const { gateway, metrics } = meteredGateway({ invoker: new ScriptedInvoker(), clock: new VirtualClock(), models: { mobilenetv2: config }, dispatcher: { maxInFlight: 1, random: () => 0.5 } });
    const app = createHttpServer(gateway, metrics);
    expect((await inject(app, { method: 'GET', url: '/dashboard' })).statusCode).toBe(404);
    expect((await inject(app, { method: 'GET', url: '/v2/ferry/status' })).statusCode).toBe(404);
  });
});
