/**
 * Regression tests for the holes issue 12 found by trying ferry as a hostile user would.
 * Each describe is named after its hole.
 */
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { NoopInvoker } from '../../src/bench/noop-invoker.js';
import { runPredict } from '../../src/cli/predict.js';
import { createFunction, type InferenceFunction } from '../../src/function/handler.js';
import { sampleFile } from '../../src/function/models/registry.js';
import { createHttpServer, type GatewayHttpServer } from '../../src/gateway/http-server.js';
import { meteredGateway } from '../../src/gateway/metrics-observer.js';
import { shutdownGateway } from '../../src/gateway/shutdown.js';
import type { Gateway } from '../../src/serving/gateway.js';
import { systemClock } from '../../src/util/system-clock.js';
import { readFileSync } from 'node:fs';
import { testCacheDir } from '../helpers/function.js';
import { rawExchange } from '../helpers/raw-http.js';

const png = readFileSync(sampleFile('cartoon-house.png'));
const jpeg = readFileSync(sampleFile('dunes.jpg'));
const model = { functionName: 'fn', batchSize: 4, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 300 };

let open: Array<{ app: GatewayHttpServer; gateway: Gateway }> = [];
afterEach(async () => {
  await Promise.all(open.map(({ app, gateway }) => shutdownGateway(app, gateway)));
  open = [];
  vi.restoreAllMocks();
});

/** A gateway over the no-op invoker, on a real socket. */
async function serve(options: { maxQueue?: number; token?: string; invocationMs?: number } = {}) {
  const invoker = new NoopInvoker(options.invocationMs ?? 0);
  const { gateway, metrics } = meteredGateway({
    invoker, clock: systemClock(), models: { mobilenetv2: model }, maxQueue: options.maxQueue ?? 1024,
    dispatcher: { maxInFlight: 4, random: Math.random },
  });
  const app = createHttpServer(gateway, metrics, options.token ? { token: options.token } : {});
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  open.push({ app, gateway });
  return { app, gateway, invoker, url, port: Number(new URL(url).port) };
}

const post = (url: string, body: string | Buffer, contentType = 'application/json', headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) });
const bytesRequest = (images: string[]) => JSON.stringify({ inputs: [{ name: 'image', shape: [images.length], datatype: 'BYTES', data: images }] });


/** The JSON bodies of the responses in a raw HTTP/1.1 exchange (Content-Length framed). */
function responses(text: string): Array<{ status: number; headers: string; body: string }> {
  const out: Array<{ status: number; headers: string; body: string }> = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const headers = rest.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
    out.push({ status: Number(headers.slice(9, 12)), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

describe('issue 12 hole 1: a lone item larger than one invocation answers 413 at admission', () => {
  it('refuses a single 7 MiB image in an OIP BYTES request with 413 ITEM_TOO_LARGE, invoking nothing and logging no stack', async () => {
    const { url, invoker } = await serve();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const sevenMiB = Buffer.concat([png, Buffer.alloc(7 * 1024 * 1024)]).toString('base64');
    const response = await post(`${url}/v2/models/mobilenetv2/infer`, bytesRequest([sevenMiB]));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'ITEM_TOO_LARGE', error: expect.stringMatching(/inputs\[0\]\.data\[0\] to add at most 6287360 bytes/) });
    expect(invoker.invocations).toBe(0);
    expect(errors).not.toHaveBeenCalled();
  });

  it('refuses it in the gateway itself too (the simulator and any other caller), before a batch is formed', async () => {
    const { gateway, invoker } = await serve();
    const submit = () => gateway.submit('mobilenetv2', [{ input: { image: 'x' }, payloadBytes: 7 * 1024 * 1024 }], () => undefined);
    expect(submit).toThrow(expect.objectContaining({ code: 'ITEM_TOO_LARGE' }));
    expect(gateway.queueDepth('mobilenetv2')).toBe(0);
    expect(invoker.invocations).toBe(0);
  });
});

describe('issue 12 hole 2: error messages bound what they quote of the input', () => {
  const cases: Array<{ name: string; send: (url: string) => Promise<Response>; code: string }> = [
    { name: 'a 1 MiB input name', code: 'INVALID_REQUEST', send: (url) => post(`${url}/v2/models/mobilenetv2/infer`, JSON.stringify({ inputs: [{ name: 'n'.repeat(1 << 20), shape: [1], datatype: 'FP32', data: [1] }] })) },
    { name: 'a 1 MiB datatype', code: 'INVALID_REQUEST', send: (url) => post(`${url}/v2/models/mobilenetv2/infer`, JSON.stringify({ inputs: [{ name: 'input', shape: [1], datatype: 'D'.repeat(1 << 20), data: [1] }] })) },
    { name: 'a 10 KB model name', code: 'UNKNOWN_MODEL', send: (url) => post(`${url}/v2/models/${'m'.repeat(10_000)}/infer`, '{}') },
    { name: 'a 10 KB path', code: 'NOT_FOUND', send: (url) => fetch(`${url}/${'p'.repeat(10_000)}`) },
    { name: 'a 10 KB Content-Type', code: 'UNSUPPORTED_MEDIA_TYPE', send: (url) => post(`${url}/v2/models/mobilenetv2/infer`, '{}', `text/${'t'.repeat(10_000)}`) },
    { name: 'a 10 KB ?top=', code: 'INVALID_REQUEST', send: (url) => post(`${url}/v2/models/mobilenetv2/classify?top=${'9'.repeat(10_000)}`, png, 'image/png') },
    { name: 'a 1 MiB base64 entry that is not base64', code: 'INVALID_REQUEST', send: (url) => post(`${url}/v2/models/mobilenetv2/infer`, bytesRequest(['!'.repeat(1 << 20)])) },
  ];
  for (const { name, send, code } of cases) {
    it(`answers ${name} with ${code} in under 512 bytes`, async () => {
      const { url } = await serve();
      const response = await send(url);
      const text = await response.text();
      expect(JSON.parse(text).code).toBe(code);
      expect(text.length).toBeLessThan(512);
    });
  }
});

describe('issue 12 hole 3: only JPEG, PNG and WebP are decoded', () => {
  let gif: Buffer;
  let animatedGif: Buffer;
  let tiff: Buffer;
  let avif: Buffer;
  const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
  beforeAll(async () => {
    const frame = (background: string) => sharp({ create: { width: 8, height: 8, channels: 3, background } }).png().toBuffer();
    const [red, blue] = await Promise.all([frame('red'), frame('blue')]);
    gif = await sharp(red).gif().toBuffer();
    animatedGif = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
    tiff = await sharp(red).tiff().toBuffer();
    avif = await sharp(red).avif().toBuffer();
  });

  for (const name of ['gif', 'animatedGif', 'tiff', 'svg', 'avif'] as const) {
    it(`refuses a ${name} labelled image/png on /classify and as OIP BYTES with 415 UNSUPPORTED_IMAGE_FORMAT, invoking nothing`, async () => {
      const bytes = { gif, animatedGif, tiff, svg, avif }[name];
      const { url, invoker } = await serve();
      const classify = await post(`${url}/v2/models/mobilenetv2/classify`, bytes, 'image/png');
      expect(classify.status).toBe(415);
      expect((await classify.json()).code).toBe('UNSUPPORTED_IMAGE_FORMAT');
      const infer = await post(`${url}/v2/models/mobilenetv2/infer`, bytesRequest([png.toString('base64'), bytes.toString('base64')]));
      expect(infer.status).toBe(415);
      expect(await infer.json()).toMatchObject({ code: 'UNSUPPORTED_IMAGE_FORMAT', error: expect.stringMatching(/inputs\[0\]\.data\[1\]/) });
      expect(invoker.invocations).toBe(0);
    });
  }

  it('refuses a body of another accepted format than its Content-Type declares', async () => {
    const { url, invoker } = await serve();
    const response = await post(`${url}/v2/models/mobilenetv2/classify`, png, 'image/jpeg');
    expect(response.status).toBe(415);
    expect((await response.json()).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await post(`${url}/v2/models/mobilenetv2/classify`, jpeg, 'image/jpeg')).status).toBe(200);
    expect(invoker.invocations).toBe(1);
  });

  describe('in the function itself (invoked directly, without the gateway)', () => {
    let fn: InferenceFunction;
    beforeAll(() => {
      fn = createFunction({ cacheDir: testCacheDir });
    });
    afterAll(async () => {
      await fn.close();
    });

    it('answers GIF, TIFF and SVG items UNSUPPORTED_IMAGE_FORMAT and still serves the PNG beside them', async () => {
      const inputs = [gif, animatedGif, tiff, svg, png].map((bytes) => ({ image: bytes.toString('base64') }));
      const result = await fn.handler({ model: 'ocr-cls', inputs });
      const codes = result.outputs.map((o) => ('error' in o ? o.error.code : 'ok'));
      expect(codes).toEqual(['UNSUPPORTED_IMAGE_FORMAT', 'UNSUPPORTED_IMAGE_FORMAT', 'UNSUPPORTED_IMAGE_FORMAT', 'UNSUPPORTED_IMAGE_FORMAT', 'ok']);
    });
  });
});

describe('issue 12 hole 4: a bodiless request answered at once keeps its connection', () => {
  it('answers pipelined GETs (health, metadata, a 404) on one connection, none with Connection: close', async () => {
    const { port } = await serve();
    const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const { text, closedByServer } = await rawExchange(port, get('/v2/health/live') + get('/v2/models/mobilenetv2') + get('/nope') + get('/v2/health/ready'), 800);
    const answers = responses(text);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 200]);
    for (const answer of answers) expect(answer.headers.toLowerCase()).not.toMatch(/connection: close/);
    expect(closedByServer).toBe(false);
  });

  it('discards a small unread body after its answer and keeps the connection; closes after a chunked one', async () => {
    const { port } = await serve();
    const body = 'x'.repeat(100);
    const drained = await rawExchange(port, `POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n${body}GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n`, 800);
    expect(responses(drained.text).map((r) => r.status)).toEqual([404, 200]);
    expect(drained.closedByServer).toBe(false);
    const chunked = await rawExchange(port, 'POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    expect(responses(chunked.text)[0]).toMatchObject({ status: 404 });
    expect(chunked.closedByServer).toBe(true);
  });
});

describe('issue 12 hole 5: a request that can never fit the queue is a 4xx naming the limit', () => {
  it('answers more items than --max-queue with 400 INVALID_REQUEST naming it, without Retry-After, from an idle gateway', async () => {
    const { url, invoker } = await serve({ maxQueue: 4 });
    const image = png.toString('base64');
    const refused = await post(`${url}/v2/models/mobilenetv2/infer`, bytesRequest(new Array(5).fill(image)));
    expect(refused.status).toBe(400);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(await refused.json()).toMatchObject({ code: 'INVALID_REQUEST', error: expect.stringMatching(/at most 4 items .*--max-queue.*got 5/) });
    expect(invoker.invocations).toBe(0);
    expect((await post(`${url}/v2/models/mobilenetv2/infer`, bytesRequest(new Array(4).fill(image)))).status).toBe(200);
  });

  it('refuses it in the gateway itself too, as a client error rather than QUEUE_FULL', async () => {
    const { gateway } = await serve({ maxQueue: 4 });
    const items = Array.from({ length: 5 }, () => ({ input: { image: 'x' }, payloadBytes: 10 }));
    expect(() => gateway.submit('mobilenetv2', items, () => undefined)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

describe('issue 12 hole 6: smaller holes', () => {
  it("answers what Node's HTTP parser refuses with ferry's { error, code }: 400 MALFORMED_HTTP and 431 HEADERS_TOO_LARGE", async () => {
    const { port } = await serve();
    const garbage = await rawExchange(port, 'NOT AN HTTP REQUEST\r\n\r\n');
    expect(responses(garbage.text)[0]).toMatchObject({ status: 400 });
    expect(JSON.parse(responses(garbage.text)[0]!.body)).toMatchObject({ code: 'MALFORMED_HTTP' });
    expect(garbage.closedByServer).toBe(true);
    const both = await rawExchange(port, 'POST /v2/models/mobilenetv2/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}');
    expect(JSON.parse(responses(both.text)[0]!.body)).toMatchObject({ code: 'MALFORMED_HTTP' });
    const huge = await rawExchange(port, `GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(responses(huge.text)[0]).toMatchObject({ status: 431 });
    expect(JSON.parse(responses(huge.text)[0]!.body)).toMatchObject({ code: 'HEADERS_TOO_LARGE' });
  });

  it("answers what node:http itself refuses outside the parser with ferry's body too: no Host, an unknown Expect, CONNECT", async () => {
    const { port } = await serve();
    const noHost = responses((await rawExchange(port, 'GET /v2/health/live HTTP/1.1\r\n\r\n', 500)).text)[0]!;
    expect([noHost.status, JSON.parse(noHost.body).code]).toEqual([400, 'MALFORMED_HTTP']);
    const expectation = responses((await rawExchange(port, 'POST /v2/models/mobilenetv2/infer HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}')).text)[0]!;
    expect([expectation.status, JSON.parse(expectation.body).code]).toEqual([417, 'EXPECTATION_FAILED']);
    const connect = await rawExchange(port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect([responses(connect.text)[0]!.status, JSON.parse(responses(connect.text)[0]!.body).code]).toEqual([404, 'NOT_FOUND']);
    expect(connect.closedByServer).toBe(true);
  });

  it('answers ?top= that is not an integer of at least 1 with 400, before invoking; clamps a larger one to the labels', async () => {
    const { url, invoker } = await serve();
    for (const top of ['-1', '0', 'abc', '1.5', '']) {
      const response = await post(`${url}/v2/models/mobilenetv2/classify?top=${top}`, png, 'image/png');
      expect(response.status, `top=${top}`).toBe(400);
      expect((await response.json()).code).toBe('INVALID_REQUEST');
    }
    expect(invoker.invocations).toBe(0);
    const two = await (await post(`${url}/v2/models/mobilenetv2/classify?top=2`, png, 'image/png')).json();
    expect(two.top).toHaveLength(2);
    const many = await post(`${url}/v2/models/mobilenetv2/classify?top=99`, png, 'image/png');
    expect(many.status).toBe(200);
    // The no-op stand-in answers two labels per item: all of them.
    expect((await many.json()).top).toHaveLength(2);
  });

  it('matches the Bearer scheme case-insensitively (RFC 7235), the token exactly', async () => {
    const { url } = await serve({ token: 's3cret' });
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect((await fetch(`${url}/v2/models/mobilenetv2`, { headers: { authorization: `${scheme} s3cret` } })).status, scheme).toBe(200);
    }
    for (const header of ['Bearer S3CRET', 'Basic s3cret', 'Bearer', 'Bearers3cret', 's3cret', 'Bearer s3cret2']) {
      expect((await fetch(`${url}/v2/models/mobilenetv2`, { headers: { authorization: header } })).status, header).toBe(401);
    }
  });

  it('routes an absolute-form request target (RFC 9112 section 3.2.2)', async () => {
    const { port } = await serve({ token: 't' });
    const { text } = await rawExchange(port, `GET http://127.0.0.1:${port}/v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n` +
      `GET HTTP://127.0.0.1:${port}/v2/models/mobilenetv2 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\n\r\n`, 800);
    expect(responses(text).map((r) => r.status)).toEqual([200, 200]);
  });

  it('runs `ferry predict --model ocr-cls FILE` with the default --top 3, answering both of its labels', async () => {
    const lines: string[] = [];
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-predict-'));
    try {
      const file = path.join(dir, 'text.png');
      await writeFile(file, readFileSync(sampleFile('text-upright.png')));
      await runPredict([file], { model: 'ocr-cls', processes: 1, threads: 1, top: 3 }, { cacheDir: testCacheDir }, (line) => lines.push(line));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(lines.join('\n')).not.toMatch(/error/);
    expect(lines.filter((line) => /^ {2}(0|180) +[\d.]+%$/.test(line))).toHaveLength(2);
  });
});

describe('issue 12 faults: a client that disconnects while its item waits in a batch', () => {
  it('has its queued item withdrawn, never invoked, and the batch it would have joined carries only live items', async () => {
    // A long SLO and a large batch: an item waits in the queue for its deadline.
    const invoker = new NoopInvoker(0);
    const events: number[] = [];
    const invoke = invoker.invoke.bind(invoker);
    invoker.invoke = (name, event, done) => {
      events.push(event.inputs.length);
      invoke(name, event, done);
    };
    const { gateway, metrics } = meteredGateway({
      invoker, clock: systemClock(), models: { mobilenetv2: { ...model, batchSize: 8, sloMs: 1500 } },
      dispatcher: { maxInFlight: 4, random: Math.random },
    });
    const app = createHttpServer(gateway, metrics);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    open.push({ app, gateway });
    const port = Number(new URL(url).port);
    const body = bytesRequest([png.toString('base64'), png.toString('base64')]);
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`POST /v2/models/mobilenetv2/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        const waitQueued = setInterval(() => {
          if (gateway.queueDepth('mobilenetv2') !== 2) return;
          clearInterval(waitQueued);
          socket.destroy();
          resolve();
        }, 5);
      });
    });
    const deadline = performance.now() + 1000;
    while (gateway.queueDepth('mobilenetv2') > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(gateway.queueDepth('mobilenetv2')).toBe(0);
    const live = await post(`${url}/v2/models/mobilenetv2/infer`, bytesRequest([png.toString('base64')]));
    expect(live.status).toBe(200);
    expect(events).toEqual([1]);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/ferry_errors_total\{model="mobilenetv2",code="CLIENT_GONE"\} 1/);
  });
});
