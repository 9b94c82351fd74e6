import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NoopInvoker } from '../../src/bench/noop-invoker.js';
import { meteredGateway } from '../../src/gateway/metrics-observer.js';
import type { Gateway } from '../../src/serving/gateway.js';
import { createHttpServer, type GatewayHttpServer } from '../../src/gateway/http-server.js';
import { shutdownGateway } from '../../src/gateway/shutdown.js';
import { systemClock } from '../../src/util/system-clock.js';
import { inject } from '../helpers/inject.js';
import { rawExchange } from '../helpers/raw-http.js';

const model = { functionName: 'fn', batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 };
// A 1x1 PNG: admission checks that BYTES entries are images of an accepted format.
const tinyPng = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const image = { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [tinyPng] }] };

let open: Array<{ app: GatewayHttpServer; gateway: Gateway }> = [];
afterEach(async () => {
  await Promise.all(open.map(({ app, gateway }) => shutdownGateway(app, gateway)));
  open = [];
});

/** A gateway over the no-op invoker (a stand-in for the platform: it answers every item at once). */
async function serve(options: { jsonBodyLimitBytes?: number; invocationMs?: number } = {}) {
  const invoker = new NoopInvoker(options.invocationMs ?? 0);
  const { gateway, metrics } = meteredGateway({ invoker, clock: systemClock(), models: { mobilenetv2: model }, dispatcher: { maxInFlight: 4, random: Math.random } });
  const app = createHttpServer(gateway, metrics, options.jsonBodyLimitBytes ? { jsonBodyLimitBytes: options.jsonBodyLimitBytes } : {});
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  open.push({ app, gateway });
  return { app, gateway, metrics, invoker, port: Number(new URL(url).port), url };
}


describe('HTTP safety (node:http server)', () => {
  it('refuses prototype-poisoning keys in JSON bodies, spelt plainly or with \\u escapes', async () => {
    const { app, invoker } = await serve();
    const rest = JSON.stringify(image).slice(1);
    for (const key of ['"__proto__": {"polluted": true}', '"\\u005f_proto__": {"polluted": true}', '"constructor": {"prototype": {"polluted": true}}']) {
      const response = await inject(app, {
        method: 'POST', url: '/v2/models/mobilenetv2/infer', headers: { 'content-type': 'application/json' }, payload: `{${key}, ${rest}`,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('INVALID_JSON');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(invoker.invocations).toBe(0);
    // An escape that spells nothing of the kind is just JSON.
    const escaped = await inject(app, { method: 'POST', url: '/v2/models/mobilenetv2/infer', payload: `{"id": "caf\\u00e9", ${rest}` });
    expect(escaped.statusCode).toBe(200);
    expect(escaped.json().id).toBe('café');
  });

  it('refuses a declared Content-Length over the limit before reading it, and closes the connection when it is over the drain bound too', async () => {
    const { port, invoker } = await serve({ jsonBodyLimitBytes: 1000 });
    const { text, closedByServer } = await rawExchange(port, [
      `POST /v2/models/mobilenetv2/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`, '{"inputs":',
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 413/);
    expect(text).toMatch(/"code":"BODY_TOO_LARGE"/);
    expect(text.toLowerCase()).toMatch(/connection: close/);
    expect(closedByServer).toBe(true);
    expect(invoker.invocations).toBe(0);
  });

  it('discards a refused body within the drain bound, so that the client reads its 413 and the connection stays usable', async () => {
    const { port, invoker } = await serve({ jsonBodyLimitBytes: 1000 });
    const { text, closedByServer } = await rawExchange(port, [
      'POST /v2/models/mobilenetv2/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n', 'x'.repeat(5000),
      'GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n',
    ], 800);
    expect(text).toMatch(/^HTTP\/1\.1 413/);
    expect(text).toMatch(/HTTP\/1\.1 200/);
    expect(closedByServer).toBe(false);
    expect(invoker.invocations).toBe(0);
  });

  it('refuses a chunked body once it grows past the limit, without waiting for its end', async () => {
    const { port } = await serve({ jsonBodyLimitBytes: 1000 });
    const chunk = 'x'.repeat(600);
    const { text, closedByServer } = await rawExchange(port, [
      'POST /v2/models/mobilenetv2/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      `${(600).toString(16)}\r\n${chunk}\r\n`, `${(600).toString(16)}\r\n${chunk}\r\n`,
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 413/);
    expect(closedByServer).toBe(true);
  });

  it('survives a client that hangs up mid-body, and keeps serving', async () => {
    const { port, url, gateway } = await serve();
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write('POST /v2/models/mobilenetv2/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inp');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    expect(gateway.queueDepth('mobilenetv2')).toBe(0);
    const response = await fetch(`${url}/v2/models/mobilenetv2/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(image) });
    expect(response.status).toBe(200);
  });

  it('answers every accepted item even when its client hung up, and nothing twice', async () => {
    const { port, url, metrics, invoker } = await serve({ invocationMs: 100 });
    let answered = 0;
    const body = JSON.stringify(image);
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`POST /v2/models/mobilenetv2/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        setTimeout(() => {
          socket.destroy(); // while its invocation runs
          resolve();
        }, 30);
      });
    });
    const tally = metrics.model('mobilenetv2');
    await new Promise((resolve) => setTimeout(resolve, 200));
    answered = tally.invocationsByOutcome.get('ok') ?? 0;
    expect(answered).toBe(1);
    expect(invoker.invocations).toBe(1);
    expect((await fetch(`${url}/v2/health/live`)).status).toBe(200);
  });

  it('answers HEAD on GET routes without a body, 404 on a wrong method, and 404 on a malformed model name', async () => {
    const { app } = await serve();
    const head = await inject(app, { method: 'HEAD', url: '/v2/health/live' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect((await inject(app, { method: 'DELETE', url: '/v2/models/mobilenetv2/infer' })).json().code).toBe('NOT_FOUND');
    expect((await inject(app, { method: 'GET', url: '/v2/models/mobilenetv2/infer' })).statusCode).toBe(404);
    expect((await inject(app, { method: 'POST', url: '/v2/models/%E0%A4%A/infer', payload: image })).json().code).toBe('NOT_FOUND');
  });

  it('refuses a JSON route body of another media type with 415', async () => {
    const { app } = await serve();
    const response = await inject(app, { method: 'POST', url: '/v2/models/mobilenetv2/infer', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify(image) });
    expect(response.statusCode).toBe(415);
    expect(response.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
