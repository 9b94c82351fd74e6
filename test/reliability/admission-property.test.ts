/**
 * Issue 12, suite 2: a property-based test of request parsing and admission. Whatever
 * bytes or JSON a client sends, the gateway answers 2xx, or 4xx with `{ error, code }` and
 * a documented code: never a 5xx, never a throw, never a log line of its own. The platform
 * is the no-op stand-in, so every admitted item is answered at once and only the gateway's
 * own code is on trial.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { NoopInvoker } from '../../src/bench/noop-invoker.js';
import { errorCodes } from '../../src/core/errors.js';
import { createHttpServer, type GatewayHttpServer } from '../../src/gateway/http-server.js';
import { meteredGateway } from '../../src/gateway/metrics-observer.js';
import { shutdownGateway } from '../../src/gateway/shutdown.js';
import type { Gateway } from '../../src/serving/gateway.js';
import { systemClock } from '../../src/util/system-clock.js';
import { inject } from '../helpers/inject.js';
import { images } from './harness/protocol.js';
import { exchange } from './harness/raw-http.js';
import { report } from './harness/report.js';

const token = 'property-token';
let gateway: Gateway;
let app: GatewayHttpServer;
let port: number;
let invoker: NoopInvoker;
const tinyPng = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const answered: Record<string, number> = {};
let runs = 0;

beforeAll(async () => {
  invoker = new NoopInvoker(0);
  const built = meteredGateway({
    invoker, clock: systemClock(), maxQueue: 16,
    models: { mobilenetv2: { functionName: 'fn', batchSize: 4, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 50 } },
    dispatcher: { maxInFlight: 4, random: Math.random },
  });
  gateway = built.gateway;
  app = createHttpServer(built.gateway, built.metrics, { token });
  port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
});
afterAll(async () => {
  await shutdownGateway(app, gateway);
  report('property/admission', undefined, undefined, { 'generated requests': runs, 'answers by code': answered });
});
afterEach(() => vi.restoreAllMocks());

/** The property itself: a 2xx, or a 4xx whose body is `{ error, code }` with a documented code. */
function expectClientAnswer(status: number, body: string): void {
  runs++;
  let parsed: { error?: unknown; code?: unknown } | undefined;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const code = status < 300 ? 'ok' : String(parsed?.code);
  answered[code] = (answered[code] ?? 0) + 1;
  expect(status, body.slice(0, 200)).toBeGreaterThanOrEqual(200);
  expect(status, body.slice(0, 200)).toBeLessThan(500);
  if (status >= 400) {
    expect(typeof parsed?.error).toBe('string');
    expect(Object.keys(errorCodes)).toContain(parsed?.code);
  }
}

const auth = { authorization: `Bearer ${token}` };
const contentTypes = fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'image/png', 'image/jpeg', 'image/webp', '', 'a/b; c=d');
const imagePrefixes = fc.constantFrom(
  '', '\x89PNG\r\n\x1a\n', '\xff\xd8\xff', 'RIFF\0\0\0\0WEBP', 'GIF89a', 'II*\0', '<svg', '%PDF', 'BM',
).map((prefix) => Buffer.from(prefix, 'latin1'));
const shapes = fc.oneof(fc.array(fc.oneof(fc.integer({ min: -2, max: 300 }), fc.double(), fc.string({ maxLength: 3 }), fc.constant(null)), { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }));
const entries = fc.oneof(fc.constant(tinyPng), fc.constant(images.house), fc.base64String({ maxLength: 64 }), fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null));
const oipRequest = fc.record({
  id: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(undefined)),
  inputs: fc.oneof(
    fc.array(fc.record({
      name: fc.oneof(fc.constantFrom('input', 'image', 'x'), fc.string({ maxLength: 12 }), fc.integer()),
      shape: shapes,
      datatype: fc.oneof(fc.constantFrom('FP32', 'BYTES', 'INT64', 'fp32'), fc.string({ maxLength: 6 })),
      data: fc.oneof(fc.array(entries, { maxLength: 6 }), fc.array(fc.oneof(fc.double(), fc.integer(), fc.constant(1e39)), { maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })),
    }, { requiredKeys: [] }), { maxLength: 2 }),
    fc.jsonValue({ maxDepth: 2 }),
  ),
}, { requiredKeys: [] });
/** Requests that are valid but for what fast-check varies: counts, ids, entry encodings, an extra field. */
const nearlyValid = fc.record({
  id: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(undefined)),
  count: fc.integer({ min: 1, max: 20 }),
  entry: fc.constantFrom(tinyPng, images.house, images.dunes, images.house.replace(/(.{60})/g, '$1\n'), images.house.replace(/\+/g, '-').replace(/\//g, '_')),
  extra: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
}).map(({ id, count, entry, extra }) => ({ ...extra, id, inputs: [{ name: 'image', shape: [count], datatype: 'BYTES', data: new Array(count).fill(entry) }] }));

describe('request parsing and admission (property-based, fast-check)', () => {
  it('answers any byte string on /infer with a 2xx or a 4xx with a code', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), contentTypes, async (bytes, type) => {
      const response = await inject(app, { method: 'POST', url: '/v2/models/mobilenetv2/infer', headers: { ...auth, ...(type === undefined ? {} : { 'content-type': type }) }, payload: Buffer.from(bytes) });
      expectClientAnswer(response.statusCode, response.body);
    }), { numRuns: 400 });
  });

  it('answers any JSON value on /infer with a 2xx or a 4xx with a code', async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
      const response = await inject(app, { method: 'POST', url: '/v2/models/mobilenetv2/infer', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(value) ?? 'null' });
      expectClientAnswer(response.statusCode, response.body);
    }), { numRuns: 400 });
  });

  it('answers any OIP-shaped request (shapes, datatypes, data, names mixed at random) with a 2xx or a 4xx with a code', async () => {
    const errors = vi.spyOn(console, 'error');
    await fc.assert(fc.asyncProperty(fc.oneof(oipRequest, nearlyValid), async (request) => {
      const response = await inject(app, { method: 'POST', url: '/v2/models/mobilenetv2/infer', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(request) });
      expectClientAnswer(response.statusCode, response.body);
    }), { numRuns: 600 });
    expect(errors).not.toHaveBeenCalled();
  });

  it('answers any body, type and ?top= on /classify with a 2xx or a 4xx with a code', async () => {
    const declared = fc.oneof(
      fc.tuple(imagePrefixes, contentTypes),
      fc.constantFrom<[Buffer, string]>([Buffer.from(images.house, 'base64'), 'image/png'], [Buffer.from(images.dunes, 'base64'), 'image/jpeg'], [Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), 'image/png']),
    );
    await fc.assert(fc.asyncProperty(declared, fc.uint8Array({ maxLength: 512 }), fc.option(fc.string({ maxLength: 8 })), async ([prefix, type], rest, top) => {
      const url = `/v2/models/mobilenetv2/classify${top === null ? '' : `?top=${encodeURIComponent(top)}`}`;
      const response = await inject(app, { method: 'POST', url, headers: { ...auth, ...(type === undefined ? {} : { 'content-type': type }) }, payload: Buffer.concat([prefix, Buffer.from(rest)]) });
      expectClientAnswer(response.statusCode, response.body);
    }), { numRuns: 400 });
  });

  it('answers any method, path and Authorization with a 2xx or a 4xx with a code', async () => {
    const segment = fc.oneof(fc.constantFrom('v2', 'models', 'mobilenetv2', 'infer', 'classify', 'ready', 'health', 'live', 'metrics', '..', '%2e', '%zz', '__proto__', ''), fc.string({ maxLength: 6 }).map(encodeURIComponent));
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'), fc.array(segment, { maxLength: 5 }), fc.option(fc.oneof(fc.constant(`Bearer ${token}`), fc.string({ maxLength: 30 }).filter((s) => !/[\r\n\0]/.test(s) && s.trim() === s))),
      async (method, segments, authorization) => {
        const response = await inject(app, { method: method as 'GET', url: `/${segments.join('/')}`, headers: authorization === null || authorization === '' ? {} : { authorization }, ...(method === 'POST' ? { payload: '{}' } : {}) });
        // A HEAD answer has no body to check.
        expectClientAnswer(response.statusCode, method === 'HEAD' && response.statusCode >= 400 ? '{"error":"","code":"NOT_FOUND"}' : response.body);
      }), { numRuns: 400 });
  });

  it('answers any bytes on a real socket with a 2xx or a 4xx with a code (or nothing, for bytes that are no request yet), and keeps serving', async () => {
    const requestLike = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.constantFrom('GET', 'POST', 'get', 'FOO', ''), fc.string({ maxLength: 30 }), fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9', ''), fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }), fc.string({ maxLength: 40 }))
        .map(([method, target, version, headers, body]) => Buffer.from(`${method} /${target} ${version}\r\nHost: x\r\n${headers.join('\r\n')}\r\n\r\n${body}`, 'latin1')),
    );
    await fc.assert(fc.asyncProperty(requestLike, async (bytes) => {
      const { responses } = await exchange(port, [bytes], { expected: 1, waitMs: 300 });
      for (const response of responses) expectClientAnswer(response.status, response.body);
    }), { numRuns: 200 });
    const live = await exchange(port, ['GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n'], { expected: 1, waitMs: 2000 });
    expect(live.responses[0]?.status).toBe(200);
  });
});

