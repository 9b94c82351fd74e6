import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { sampleFile } from '../../src/function/models/registry.js';
import { meteredGateway } from '../../src/gateway/metrics-observer.js';
import { createHttpServer } from '../../src/gateway/http-server.js';
import type { ModelConfig } from '../../src/serving/model-config.js';
import { inject, type InjectOptions } from '../helpers/inject.js';
import { echoOutcome, flush, ScriptedInvoker } from '../helpers/scripted-invoker.js';

const config: ModelConfig = { functionName: 'fn', batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 };
const png = readFileSync(sampleFile('cartoon-house.png'));

function setup(options: { token?: string; maxQueue?: number; batchSize?: number } = {}) {
  const invoker = new ScriptedInvoker();
  const { gateway, metrics } = meteredGateway({
    invoker, clock: new VirtualClock(), models: { mobilenetv2: { ...config, batchSize: options.batchSize ?? 1 } }, maxQueue: options.maxQueue ?? 100,
    dispatcher: { maxInFlight: 4, random: () => 0.5 },
  });
  const app = createHttpServer(gateway, metrics, options.token ? { token: options.token } : {});
  // Answer every invocation as soon as it is made, echoing item positions.
  const answerAll = setInterval(() => {
    for (const call of invoker.calls.splice(0)) call.resolve(echoOutcome(call.event));
  }, 1);
  return { app, invoker, gateway, stop: () => clearInterval(answerAll) };
}

let stop = () => undefined as void;
afterEach(() => stop());

const fp32 = (shape: number[], data: unknown) => ({ inputs: [{ name: 'input', shape, datatype: 'FP32', data }] });

describe('HTTP API (in-process inject)', () => {
  it('classifies a raw image body', async () => {
    const s = setup();
    stop = s.stop;
    const response = await inject(s.app, { method: 'POST', url: '/v2/models/mobilenetv2/classify', headers: { 'content-type': 'image/png' }, payload: png });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ model_name: 'mobilenetv2', top: [{ label: 'item-0', probability: 1 }] });
  });

  it('answers an Open Inference Protocol request with a BYTES input of several images', async () => {
    const s = setup();
    stop = s.stop;
    const image = png.toString('base64');
    const response = await inject(s.app, {
      method: 'POST', url: '/v2/models/mobilenetv2/infer',
      payload: { id: 'req-1', inputs: [{ name: 'image', shape: [2], datatype: 'BYTES', data: [image, image] }] },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ model_name: 'mobilenetv2', model_version: '1', id: 'req-1' });
    expect(body.outputs[0]).toMatchObject({ name: 'probabilities', shape: [2, 1], datatype: 'FP32' });
  });

  it('turns an FP32 tensor input into one item per batch row', async () => {
    const s = setup();
    stop = s.stop;
    const row = new Array(224 * 224 * 3).fill(0.5);
    const response = await inject(s.app, { method: 'POST', url: '/v2/models/mobilenetv2/infer', payload: fp32([2, 224, 224, 3], [...row, ...row]) });
    expect(response.statusCode).toBe(200);
    expect(response.json().outputs[0].shape).toEqual([2, 1]);
  });

  const catalogue: Array<{ name: string; request: InjectOptions; status: number; code: string; message?: RegExp }> = [
    { name: 'malformed JSON', request: { method: 'POST', url: '/v2/models/mobilenetv2/infer', headers: { 'content-type': 'application/json' }, payload: '{"inputs": [' }, status: 400, code: 'INVALID_JSON' },
    { name: 'empty JSON body', request: { method: 'POST', url: '/v2/models/mobilenetv2/infer', headers: { 'content-type': 'application/json' }, payload: '' }, status: 400, code: 'EMPTY_BODY' },
    { name: 'no inputs', request: { method: 'POST', url: '/v2/models/mobilenetv2/infer', payload: { inputs: [] } }, status: 400, code: 'INVALID_REQUEST', message: /inputs/ },
    { name: 'wrong shape', request: { method: 'POST', url: '/v2/models/mobilenetv2/infer', payload: fp32([1, 3, 224, 224], []) }, status: 400, code: 'INVALID_REQUEST', message: /Expected inputs\[0\]\.shape to be \[N, 224, 224, 3\], got \[1, 3, 224, 224\]/ },
    { name: 'wrong data length', request: { method: 'POST', url: '/v2/models/mobilenetv2/infer', payload: fp32([224, 224, 3], [1, 2, 3]) }, status: 400, code: 'INVALID_REQUEST', message: /150528 values .* got 3/ },
    { name: 'wrong dtype', request: { method: 'POST', url: '/v2/models/mobilenetv2/infer', payload: { inputs: [{ name: 'input', shape: [224, 224, 3], datatype: 'INT64', data: [] }] } }, status: 400, code: 'INVALID_REQUEST', message: /datatype to be FP32 .* got "INT64"/ },
    { name: 'wrong input name', request: { method: 'POST', url: '/v2/models/mobilenetv2/infer', payload: { inputs: [{ name: 'x', shape: [224, 224, 3], datatype: 'FP32', data: [] }] } }, status: 400, code: 'INVALID_REQUEST', message: /name to be "input"/ },
    { name: 'string in FP32 data', request: { method: 'POST', url: '/v2/models/mobilenetv2/infer', payload: fp32([224, 224, 3], ['a', ...new Array(224 * 224 * 3 - 1).fill(0)]) }, status: 400, code: 'INVALID_REQUEST', message: /data\[0\] to be a number/ },
    { name: 'too many items', request: { method: 'POST', url: '/v2/models/mobilenetv2/infer', payload: { inputs: [{ name: 'image', shape: [65], datatype: 'BYTES', data: new Array(65).fill('aGk=') }] } }, status: 400, code: 'INVALID_REQUEST', message: /at most 64/ },
    { name: 'unknown model', request: { method: 'POST', url: '/v2/models/resnet/infer', payload: fp32([1], [1]) }, status: 404, code: 'UNKNOWN_MODEL' },
    { name: 'non-image body on classify', request: { method: 'POST', url: '/v2/models/mobilenetv2/classify', headers: { 'content-type': 'text/plain' }, payload: 'hello' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'empty image body', request: { method: 'POST', url: '/v2/models/mobilenetv2/classify', headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(0) }, status: 400, code: 'EMPTY_BODY' },
    { name: 'oversize image body', request: { method: 'POST', url: '/v2/models/mobilenetv2/classify', headers: { 'content-type': 'image/jpeg' }, payload: Buffer.alloc(5 * 1024 * 1024) }, status: 413, code: 'BODY_TOO_LARGE' },
    { name: 'unknown route', request: { method: 'GET', url: '/v3/nothing' }, status: 404, code: 'NOT_FOUND' },
  ];
  for (const { name, request, status, code, message } of catalogue) {
    it(`answers ${status} ${code} for ${name}`, async () => {
      const s = setup();
      stop = s.stop;
      const response = await inject(s.app, request);
      expect(response.statusCode).toBe(status);
      expect(response.json().code).toBe(code);
      if (message) expect(response.json().error).toMatch(message);
      expect(s.invoker.calls).toHaveLength(0);
    });
  }

  it('fails the request with the item error code when its image is not an image', async () => {
    const s = setup();
    stop = s.stop;
    s.stop();
    // A truncated PNG: a PNG by its first bytes (so admitted), which only the function finds it cannot decode.
    const pending = inject(s.app, { method: 'POST', url: '/v2/models/mobilenetv2/classify', headers: { 'content-type': 'image/png' }, payload: png.subarray(0, 100) });
    for (let i = 0; i < 50 && s.invoker.calls.length === 0; i++) await flush();
    const call = s.invoker.calls[0]!;
    call.resolve(echoOutcome(call.event, () => ({ error: { code: 'IMAGE_DECODE_FAILED', message: 'Could not decode the image' } })));
    const response = await pending;
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'Could not decode the image', code: 'IMAGE_DECODE_FAILED' });
  });

  it('answers 503 QUEUE_FULL with Retry-After when the queue is full', async () => {
    const s = setup({ maxQueue: 1, batchSize: 64 });
    stop = s.stop;
    const classify = { method: 'POST' as const, url: '/v2/models/mobilenetv2/classify', headers: { 'content-type': 'image/png' }, payload: png };
    // The virtual clock never moves, so the first request waits in the queue for its deadline.
    void inject(s.app, classify);
    for (let i = 0; i < 50 && s.gateway.queueDepth('mobilenetv2') === 0; i++) await flush();
    const refused = await inject(s.app, classify);
    expect(refused.statusCode).toBe(503);
    expect(refused.json().code).toBe('QUEUE_FULL');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('requires the bearer token when one is set, but not for health', async () => {
    const s = setup({ token: 's3cret' });
    stop = s.stop;
    const url = '/v2/models/mobilenetv2/classify';
    const headers = { 'content-type': 'image/png' };
    expect((await inject(s.app, { method: 'POST', url, headers, payload: png })).statusCode).toBe(401);
    expect((await inject(s.app, { method: 'POST', url, headers: { ...headers, authorization: 'Bearer wrong' }, payload: png })).json().code).toBe('UNAUTHORIZED');
    expect((await inject(s.app, { method: 'POST', url, headers: { ...headers, authorization: 'Bearer s3cret' }, payload: png })).statusCode).toBe(200);
    expect((await inject(s.app, { method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
  });

  it('serves health, model metadata and readiness', async () => {
    const s = setup();
    stop = s.stop;
    expect((await inject(s.app, { method: 'GET', url: '/v2/health/ready' })).json()).toEqual({ ready: true });
    expect((await inject(s.app, { method: 'GET', url: '/v2/models/mobilenetv2/ready' })).json()).toEqual({ name: 'mobilenetv2', ready: true });
    const meta = (await inject(s.app, { method: 'GET', url: '/v2/models/mobilenetv2' })).json();
    expect(meta.inputs[0]).toEqual({ name: 'input', datatype: 'FP32', shape: [-1, 224, 224, 3] });
    expect(meta.outputs[0]).toEqual({ name: 'probabilities', datatype: 'FP32', shape: [-1, 5] });
    expect((await inject(s.app, { method: 'GET', url: '/v2/models/resnet' })).statusCode).toBe(404);
  });

  it('exposes batches, errors and the config in /metrics', async () => {
    const s = setup();
    stop = s.stop;
    await inject(s.app, { method: 'POST', url: '/v2/models/mobilenetv2/classify', headers: { 'content-type': 'image/png' }, payload: png });
    await inject(s.app, { method: 'POST', url: '/v2/models/nope/classify', headers: { 'content-type': 'image/png' }, payload: png });
    const text = (await inject(s.app, { method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/ferry_batch_size_count\{model="mobilenetv2",reason="full"\} 1/);
    expect(text).toMatch(/ferry_invocations_total\{model="mobilenetv2",outcome="ok"\} 1/);
    // A model the gateway does not serve is counted under "unknown": clients cannot mint label values.
    expect(text).toMatch(/ferry_errors_total\{model="unknown",code="UNKNOWN_MODEL"\} 1/);
    expect(text).not.toMatch(/model="nope"/);
    // One gauge per config key, in base units: 1769 MB = 1769 x 2^20 bytes, 300 ms = 0.3 s.
    expect(text).toMatch(/ferry_config_batch_size\{model="mobilenetv2"\} 1\n/);
    expect(text).toMatch(/ferry_config_memory_bytes\{model="mobilenetv2"\} 1854930944\n/);
    expect(text).toMatch(/ferry_config_slo_seconds\{model="mobilenetv2"\} 0.3\n/);
    expect(text).toMatch(/ferry_request_duration_seconds_count\{model="mobilenetv2",status="200"\} 1/);
    expect(text).toMatch(/ferry_queue_depth\{model="mobilenetv2"\} 0/);
    expect(text).toMatch(/ferry_invocations_in_flight 0/);
  });

  it('reports the queue depth and invocations in flight as they are when scraped', async () => {
    const s = setup({ batchSize: 4 });
    stop = s.stop;
    s.stop(); // answer nothing: invocations stay in flight
    const held = [1, 2, 3, 4, 5, 6].map(() => s.gateway.infer('mobilenetv2', [{ input: { image: 'x' }, payloadBytes: 10 }]));
    await flush();
    const text = (await inject(s.app, { method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/ferry_queue_depth\{model="mobilenetv2"\} 2/);
    expect(text).toMatch(/ferry_invocations_in_flight 1/);
    for (const call of s.invoker.calls.splice(0)) call.resolve(echoOutcome(call.event));
    void held;
  });
});
