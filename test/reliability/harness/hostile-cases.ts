import sharp from 'sharp';
import { images } from './protocol.js';
import { requestBytes, type RawResponse, type RequestSpec, type Step } from './raw-http.js';

/**
 * The hostile-input catalogue of issue 12: what a careless or malicious client sends, on
 * every route, each with the status and code docs/errors.md promises (or the answer the
 * route documents). Cases are raw bytes on a socket of their own, so that nothing a
 * client library would fix (framing, header syntax, methods) is fixed before it reaches
 * the gateway.
 */
export interface Expected {
  status: number;
  code?: string;
  /** Further checks of a good answer. */
  check?: (response: RawResponse) => string | undefined;
}

export interface HostileCase {
  category: string;
  name: string;
  steps: Step[];
  expect: Expected[];
  /** Answers to HEAD requests (no body), by position. */
  heads?: boolean[];
  /** The server must close the connection after its answers. */
  closes?: boolean;
  waitMs?: number;
}

export interface Assets {
  gif: Buffer;
  animatedGif: Buffer;
  tiff: Buffer;
  avif: Buffer;
  png: Buffer;
  jpeg: Buffer;
  webp: Buffer;
}

export async function makeAssets(): Promise<Assets> {
  const frame = (background: string) => sharp({ create: { width: 8, height: 8, channels: 3, background } }).png().toBuffer();
  const [red, blue] = await Promise.all([frame('red'), frame('blue')]);
  return {
    gif: await sharp(red).gif().toBuffer(),
    animatedGif: await sharp([red, blue], { join: { animated: true } }).gif().toBuffer(),
    tiff: await sharp(red).tiff().toBuffer(),
    avif: await sharp(red).avif().toBuffer(),
    png: Buffer.from(images.house, 'base64'),
    jpeg: Buffer.from(images.dunes, 'base64'),
    webp: await sharp(Buffer.from(images.house, 'base64')).webp().toBuffer(),
  };
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
/** A valid PNG header claiming width x height: a decompression bomb's front (sharp refuses it by its header, before inflating). */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), pngChunk('IEND', Buffer.alloc(0))]);
}

const model = '/v2/models/mobilenetv2';
const json = 'application/json';

export function hostileCases(token: string, assets: Assets): HostileCase[] {
  const auth = { authorization: `Bearer ${token}` };
  /** A request with the token (unless the case is about it). */
  const req = (spec: RequestSpec, withAuth = true): Buffer => requestBytes({ ...spec, headers: { ...(withAuth ? auth : {}), ...spec.headers } });
  const infer = (body: string | Buffer, headers: Record<string, string> = { 'content-type': json }) => req({ method: 'POST', target: `${model}/infer`, headers, body });
  const classify = (body: Buffer, type: string | undefined, query = '') =>
    req({ method: 'POST', target: `${model}/classify${query}`, headers: type === undefined ? {} : { 'content-type': type }, body });
  const bytesInput = (data: unknown[], shape: unknown = [data.length], extra: Record<string, unknown> = {}) =>
    JSON.stringify({ inputs: [{ name: 'image', shape, datatype: 'BYTES', data, ...extra }] });
  const b64 = (bytes: Buffer) => bytes.toString('base64');
  const item = 224 * 224 * 3;
  const fp32 = (shape: unknown, data: unknown, name = 'input', datatype = 'FP32') => JSON.stringify({ inputs: [{ name, shape, datatype, data }] });
  const ok: Expected = { status: 200 };
  const e = (status: number, code: string): Expected => ({ status, code });
  const labels = (n: number): Expected => ({ status: 200, check: (r) => ((r.json?.top as unknown[] | undefined)?.length === n ? undefined : `expected ${n} labels, got ${JSON.stringify(r.json?.top)}`) });
  const cases: HostileCase[] = [];
  const add = (category: string, name: string, steps: Step | Step[], expect: Expected | Expected[], more: Partial<HostileCase> = {}) =>
    cases.push({ category, name, steps: Array.isArray(steps) ? steps : [steps], expect: Array.isArray(expect) ? expect : [expect], ...more });

  // Routes, methods, paths and percent-encoding.
  add('route', 'GET /', req({ target: '/' }), e(404, 'NOT_FOUND'));
  add('route', 'GET /v2 (server metadata)', req({ target: '/v2' }), ok);
  add('route', 'GET /v2/health/live without a token', req({ target: '/v2/health/live' }, false), ok);
  add('route', 'GET /v2/health/ready without a token', req({ target: '/v2/health/ready' }, false), ok);
  add('route', 'HEAD /v2/health/live', req({ method: 'HEAD', target: '/v2/health/live' }, false), ok, { heads: [true] });
  add('route', 'GET model metadata', req({ target: model }), ok);
  add('route', 'GET model readiness', req({ target: `${model}/ready` }), ok);
  for (const method of ['DELETE', 'PUT', 'PATCH']) add('method', `${method} on /infer`, req({ method, target: `${model}/infer`, body: '{}' }), e(404, 'NOT_FOUND'));
  add('method', 'GET on /infer', req({ target: `${model}/infer` }), e(404, 'NOT_FOUND'));
  add('method', 'POST on model metadata', req({ method: 'POST', target: model, body: '{}' }), e(404, 'NOT_FOUND'));
  add('method', 'OPTIONS *', req({ method: 'OPTIONS', target: '*' }), e(404, 'NOT_FOUND'));
  add('method', 'CONNECT (proxy tunnel)', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n', e(404, 'NOT_FOUND'), { closes: true });
  add('method', 'unknown method FOO', 'FOO /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n', e(400, 'MALFORMED_HTTP'), { closes: true });
  add('method', 'lower-case method', 'get /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n', e(400, 'MALFORMED_HTTP'), { closes: true });
  add('path', 'unknown model', req({ target: '/v2/models/resnet50' }), e(404, 'UNKNOWN_MODEL'));
  add('path', 'raw ../ traversal', infer(bytesInput([images.house])).toString('latin1').replace(`${model}/infer`, '/v2/models/../../etc/passwd/infer'), e(404, 'NOT_FOUND'));
  add('path', 'percent-encoded ../ traversal as a model name', req({ method: 'POST', target: '/v2/models/..%2F..%2Fetc%2Fpasswd/infer', headers: { 'content-type': json }, body: bytesInput([images.house]) }), e(404, 'UNKNOWN_MODEL'));
  add('path', 'model name %2e%2e', req({ target: '/v2/models/%2e%2e' }), e(404, 'UNKNOWN_MODEL'));
  for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString']) add('path', `model name ${name}`, req({ target: `/v2/models/${name}` }), e(404, 'UNKNOWN_MODEL'));
  add('path', 'model name with a NUL (%00)', req({ target: '/v2/models/mobilenetv2%00' }), e(404, 'UNKNOWN_MODEL'));
  add('path', 'malformed percent-encoding', req({ target: '/v2/models/%E0%A4%A' }), e(404, 'NOT_FOUND'));
  add('path', 'percent-encoded model name of a served model', req({ target: '/v2/models/mobilenet%762' }), ok);
  add('path', 'a segment too deep', req({ target: `${model}/infer/extra` }), e(404, 'NOT_FOUND'));
  add('path', 'double slash', req({ target: '//v2/health/live' }), e(404, 'NOT_FOUND'));
  add('path', 'query string on metadata', req({ target: `${model}?x=%zz&y` }), ok);
  add('path', 'absolute-form target', req({ target: 'http://127.0.0.1/v2/health/live' }), ok);
  add('path', 'absolute-form target, upper-case scheme', req({ target: `HTTP://EXAMPLE${model}` }), ok);
  add('path', 'a 12 KB path', req({ target: `/${'a'.repeat(12_000)}` }), { status: 404, code: 'NOT_FOUND', check: (r) => (r.body.length < 512 ? undefined : `a ${r.body.length}-byte answer`) });
  add('path', 'a 20 KB path', req({ target: `/${'a'.repeat(20_000)}` }), e(431, 'HEADERS_TOO_LARGE'), { closes: true });
  add('route', '/metrics without a token', req({ target: '/metrics' }, false), e(401, 'UNAUTHORIZED'));
  add('route', '/metrics with the token', req({ target: '/metrics' }), ok);

  // Authentication.
  add('auth', 'infer without a token', req({ method: 'POST', target: `${model}/infer`, headers: { 'content-type': json }, body: bytesInput([images.house]) }, false), e(401, 'UNAUTHORIZED'));
  add('auth', 'metadata without a token', req({ target: model }, false), e(401, 'UNAUTHORIZED'));
  add('auth', 'a wrong token', req({ target: model, headers: { authorization: 'Bearer wrong' } }, false), e(401, 'UNAUTHORIZED'));
  add('auth', 'the token with one character more', req({ target: model, headers: { authorization: `Bearer ${token}x` } }, false), e(401, 'UNAUTHORIZED'));
  add('auth', 'the token, upper-cased', req({ target: model, headers: { authorization: `Bearer ${token.toUpperCase()}` } }, false), e(401, 'UNAUTHORIZED'));
  add('auth', 'Basic scheme with the token', req({ target: model, headers: { authorization: `Basic ${token}` } }, false), e(401, 'UNAUTHORIZED'));
  add('auth', 'the scheme alone', req({ target: model, headers: { authorization: 'Bearer' } }, false), e(401, 'UNAUTHORIZED'));
  add('auth', 'the token alone', req({ target: model, headers: { authorization: token } }, false), e(401, 'UNAUTHORIZED'));
  add('auth', 'lower-case scheme (RFC 7235)', req({ target: model, headers: { authorization: `bearer ${token}` } }, false), ok);
  add('auth', 'the token in the query', req({ target: `${model}?token=${token}` }, false), e(401, 'UNAUTHORIZED'));
  add('auth', 'a wrong then a right Authorization header (Node keeps the first)', `GET ${model} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nAuthorization: Bearer ${token}\r\n\r\n`, e(401, 'UNAUTHORIZED'));
  add('auth', 'a 10 KB token', req({ target: model, headers: { authorization: `Bearer ${'t'.repeat(10_000)}` } }, false), e(401, 'UNAUTHORIZED'));

  // JSON structure.
  add('json', 'empty body', infer(''), e(400, 'EMPTY_BODY'));
  for (const [name, body] of [['null', 'null'], ['an array', '[]'], ['a string', '"x"'], ['a number', '42'], ['true', 'true']]) add('json', `body ${name}`, infer(body!), e(400, 'INVALID_REQUEST'));
  add('json', 'truncated JSON', infer('{"inputs": ['), e(400, 'INVALID_JSON'));
  add('json', 'not JSON', infer('inputs=1&x=2'), e(400, 'INVALID_JSON'));
  add('json', 'trailing garbage after JSON', infer(`${bytesInput([images.house])}xyz`), e(400, 'INVALID_JSON'));
  add('json', 'a byte-order mark before JSON', infer(`\uFEFF${bytesInput([images.house])}`), e(400, 'INVALID_JSON'));
  add('json', '__proto__ key', infer(`{"__proto__": {"polluted": 1}, ${bytesInput([images.house]).slice(1)}`), e(400, 'INVALID_JSON'));
  add('json', '__proto__ key spelt with \\u escapes', infer(`{"\\u005f\\u005fproto__": {"polluted": 1}, ${bytesInput([images.house]).slice(1)}`), e(400, 'INVALID_JSON'));
  add('json', 'constructor.prototype key', infer(`{"constructor": {"prototype": {"polluted": 1}}, ${bytesInput([images.house]).slice(1)}`), e(400, 'INVALID_JSON'));
  add('json', 'arrays nested 100,000 deep', infer(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), e(400, 'INVALID_REQUEST'));
  add('json', 'objects nested 50,000 deep', infer(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`), e(400, 'INVALID_REQUEST'));
  add('json', 'inputs missing', infer('{"id": "x"}'), e(400, 'INVALID_REQUEST'));
  add('json', 'inputs an object', infer('{"inputs": {"name": "image"}}'), e(400, 'INVALID_REQUEST'));
  add('json', 'inputs empty', infer('{"inputs": []}'), e(400, 'INVALID_REQUEST'));
  add('json', 'two input tensors', infer(JSON.stringify({ inputs: [JSON.parse(bytesInput([images.house])).inputs[0], JSON.parse(bytesInput([images.house])).inputs[0]] })), e(400, 'INVALID_REQUEST'));
  add('json', 'inputs[0] null', infer('{"inputs": [null]}'), e(400, 'INVALID_REQUEST'));
  add('json', 'inputs[0] an array', infer('{"inputs": [[1, 2]]}'), e(400, 'INVALID_REQUEST'));
  add('json', 'name missing', infer('{"inputs": [{"shape": [1], "datatype": "BYTES", "data": ["x"]}]}'), e(400, 'INVALID_REQUEST'));
  add('json', 'name a number', infer(bytesInput([images.house]).replace('"name":"image"', '"name":7')), e(400, 'INVALID_REQUEST'));
  add('json', 'a 1 MiB name', infer(fp32([1], [1], 'n'.repeat(1 << 20))), { status: 400, code: 'INVALID_REQUEST', check: (r) => (r.body.length < 512 ? undefined : `a ${r.body.length}-byte answer`) });
  add('json', 'duplicate inputs key (the last wins)', infer(`{"inputs": ${JSON.stringify(JSON.parse(bytesInput([images.house])).inputs)}, "inputs": 5}`), e(400, 'INVALID_REQUEST'));
  add('json', 'invalid UTF-8 in a string field', infer(Buffer.concat([Buffer.from('{"id": "'), Buffer.from([0xff, 0xfe]), Buffer.from(`", ${bytesInput([images.house]).slice(1)}`)])), ok);
  add('json', 'a string id of 1 MiB is echoed (OIP)', infer(JSON.stringify({ id: 'i'.repeat(1 << 20), ...JSON.parse(bytesInput([images.house])) })), ok);

  // Shapes, datatypes and sizes.
  for (const [name, shape] of [['[]', []], ['[0]', [0]], ['[-1]', [-1]], ['[1.5]', [1.5]], ['["1"]', ['1']], ['[1e300]', [1e300]], ['9 dimensions', [1, 1, 1, 1, 1, 1, 1, 1, 1]], ['a string', '1']] as const) {
    add('shape', `BYTES shape ${name}`, infer(bytesInput([images.house], shape)), e(400, 'INVALID_REQUEST'));
  }
  add('shape', 'BYTES shape [2] with one entry', infer(bytesInput([images.house], [2])), e(400, 'INVALID_REQUEST'));
  add('shape', 'BYTES shape [1, 1]', infer(bytesInput([images.house], [1, 1])), e(400, 'INVALID_REQUEST'));
  add('shape', 'BYTES 65 items (over 64 per request)', infer(bytesInput(new Array(65).fill(images.house))), e(400, 'INVALID_REQUEST'));
  add('dtype', 'datatype INT64', infer(fp32([item], [], 'input', 'INT64')), e(400, 'INVALID_REQUEST'));
  add('dtype', 'datatype fp32 in lower case', infer(fp32([item], [], 'input', 'fp32')), e(400, 'INVALID_REQUEST'));
  add('dtype', 'datatype missing', infer('{"inputs": [{"name": "input", "shape": [1], "data": [1]}]}'), e(400, 'INVALID_REQUEST'));
  add('dtype', 'FP32 under another input name', infer(fp32([224, 224, 3], [], 'x')), e(400, 'INVALID_REQUEST'));
  add('shape', 'FP32 channels first [1, 3, 224, 224]', infer(fp32([1, 3, 224, 224], [])), e(400, 'INVALID_REQUEST'));
  add('shape', 'FP32 data too short', infer(fp32([224, 224, 3], [1, 2, 3])), e(400, 'INVALID_REQUEST'));
  add('dtype', 'FP32 data holding a string', infer(fp32([224, 224, 3], ['a', ...new Array(item - 1).fill(0)])), e(400, 'INVALID_REQUEST'));
  add('dtype', 'FP32 data holding null', infer(fp32([224, 224, 3], [null, ...new Array(item - 1).fill(0)])), e(400, 'INVALID_REQUEST'));
  add('finite', 'FP32 1e39 (infinite as float32)', infer(fp32([224, 224, 3], [1e39, ...new Array(item - 1).fill(0)])), e(400, 'TENSOR_NOT_FINITE'));
  add('finite', 'FP32 -1e400 (infinite even as float64)', infer(`{"inputs": [{"name": "input", "shape": [224, 224, 3], "datatype": "FP32", "data": [-1e400${',0'.repeat(item - 1)}]}]}`), e(400, 'TENSOR_NOT_FINITE'));
  add('dtype', 'FP32 tensor, flat', infer(fp32([224, 224, 3], new Array(item).fill(0.5))), ok);
  add('dtype', 'FP32 tensor, nested [1, 224, 224, 3]', infer(fp32([1, 224, 224, 3], [Array.from({ length: 224 }, () => Array.from({ length: 224 }, () => [0.1, 0.2, 0.3]))])), ok);
  add('dtype', 'BYTES entry a number', infer(bytesInput([42])), e(400, 'INVALID_REQUEST'));
  add('dtype', 'BYTES entry an empty string', infer(bytesInput([''])), e(400, 'INVALID_REQUEST'));
  add('dtype', 'BYTES entry not base64', infer(bytesInput(['***not base64***'])), e(400, 'INVALID_REQUEST'));
  add('dtype', 'BYTES entry of non-ASCII characters', infer(bytesInput(['\u20ac'.repeat(1000)])), e(400, 'INVALID_REQUEST'));
  add('dtype', 'BYTES base64 with line breaks (MIME)', infer(bytesInput([images.house.replace(/(.{76})/g, '$1\n')])), ok);
  add('dtype', 'BYTES url-safe base64', infer(bytesInput([images.house.replace(/\+/g, '-').replace(/\//g, '_')])), ok);
  add('size', 'BYTES one 7 MiB image (over one invocation)', infer(bytesInput([b64(Buffer.concat([assets.png, Buffer.alloc(7 * 1024 * 1024)]))])), e(413, 'ITEM_TOO_LARGE'));
  add('size', 'a declared 17 MiB body, not sent (answered before it comes)', req({ method: 'POST', target: `${model}/infer`, headers: { 'content-type': json, 'content-length': String(17 * 1024 * 1024) } }), e(413, 'BODY_TOO_LARGE'));
  add('size', 'a declared 64 MiB body (over the drain bound: the connection closes)', req({ method: 'POST', target: `${model}/infer`, headers: { 'content-type': json, 'content-length': String(64 * 1024 * 1024) } }), e(413, 'BODY_TOO_LARGE'), { closes: true });
  add('size', 'a chunked body growing past 16 MiB', [req({ method: 'POST', target: `${model}/infer`, headers: { 'content-type': json, 'transfer-encoding': 'chunked' } }), ...Array.from({ length: 17 }, () => `100000\r\n${'x'.repeat(0x100000)}\r\n`)], e(413, 'BODY_TOO_LARGE'), { closes: true });
  add('size', 'BYTES 32 images in one request', infer(bytesInput(new Array(32).fill(images.house))), ok);

  // Image formats, content types and decompression bombs.
  for (const [name, bytes] of [['GIF', assets.gif], ['animated GIF', assets.animatedGif], ['TIFF', assets.tiff], ['AVIF', assets.avif], ['BMP', Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)])], ['PDF', Buffer.from('%PDF-1.4\n%...')], ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')], ['SVG after white space and a BOM', Buffer.from('\uFEFF\n  <?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>')]] as const) {
    add('image', `classify ${name} labelled image/png`, classify(bytes, 'image/png'), e(415, 'UNSUPPORTED_IMAGE_FORMAT'));
  }
  add('image', 'BYTES GIF', infer(bytesInput([b64(assets.gif)])), e(415, 'UNSUPPORTED_IMAGE_FORMAT'));
  add('image', 'BYTES SVG', infer(bytesInput([b64(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))])), e(415, 'UNSUPPORTED_IMAGE_FORMAT'));
  add('image', 'BYTES TIFF beside a PNG', infer(bytesInput([images.house, b64(assets.tiff)])), e(415, 'UNSUPPORTED_IMAGE_FORMAT'));
  add('image', 'classify random bytes', classify(Buffer.from('definitely not an image'), 'image/png'), e(400, 'IMAGE_DECODE_FAILED'));
  add('image', 'classify a truncated PNG', classify(assets.png.subarray(0, 1000), 'image/png'), e(400, 'IMAGE_DECODE_FAILED'));
  add('image', 'classify a truncated JPEG', classify(assets.jpeg.subarray(0, 1000), 'image/jpeg'), e(400, 'IMAGE_DECODE_FAILED'));
  add('image', 'classify a PNG bomb header (20000 x 20000 px)', classify(pngBomb(20_000, 20_000), 'image/png'), e(400, 'IMAGE_DECODE_FAILED'));
  add('image', 'BYTES a PNG bomb header (65535 x 65535 px)', infer(bytesInput([b64(pngBomb(65_535, 65_535))])), e(400, 'IMAGE_DECODE_FAILED'));
  add('image', 'classify a PNG', classify(assets.png, 'image/png'), labels(5));
  add('image', 'classify a JPEG', classify(assets.jpeg, 'image/jpeg'), labels(5));
  add('image', 'classify a WebP', classify(assets.webp, 'image/webp'), labels(5));
  add('ctype', 'classify a PNG labelled image/jpeg', classify(assets.png, 'image/jpeg'), e(415, 'UNSUPPORTED_MEDIA_TYPE'));
  add('ctype', 'classify a JPEG labelled image/webp', classify(assets.jpeg, 'image/webp'), e(415, 'UNSUPPORTED_MEDIA_TYPE'));
  add('ctype', 'classify without a Content-Type', classify(assets.png, undefined), e(415, 'UNSUPPORTED_MEDIA_TYPE'));
  add('ctype', 'classify image/gif', classify(assets.gif, 'image/gif'), e(415, 'UNSUPPORTED_MEDIA_TYPE'));
  add('ctype', 'classify IMAGE/PNG with a parameter', classify(assets.png, 'IMAGE/PNG; q=1'), ok);
  add('ctype', 'classify a 10 KB Content-Type', classify(assets.png, `image/${'x'.repeat(10_000)}`), { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', check: (r) => (r.body.length < 512 ? undefined : `a ${r.body.length}-byte answer`) });
  add('size', 'classify a 5 MiB body (discarded after the answer: the client reads it)', classify(Buffer.concat([assets.png, Buffer.alloc(5 * 1024 * 1024)]), 'image/png'), e(413, 'BODY_TOO_LARGE'));
  add('size', 'classify an empty body', classify(Buffer.alloc(0), 'image/png'), e(400, 'EMPTY_BODY'));
  for (const top of ['0', '-1', 'abc', '1.5', '', '1e3', '9'.repeat(100)]) add('query', `classify ?top=${top.length > 10 ? '9 x 100' : top}`, classify(assets.png, 'image/png', `?top=${top}`), e(400, 'INVALID_REQUEST'));
  add('query', 'classify ?top=2', classify(assets.png, 'image/png', '?top=2'), labels(2));
  add('query', 'classify ?top=99 (clamped to the 5 labels)', classify(assets.png, 'image/png', '?top=99'), labels(5));
  add('ctype', 'infer text/plain', infer(bytesInput([images.house]), { 'content-type': 'text/plain' }), e(415, 'UNSUPPORTED_MEDIA_TYPE'));
  add('ctype', 'infer form-urlencoded (curl -d)', infer(bytesInput([images.house]), { 'content-type': 'application/x-www-form-urlencoded' }), e(415, 'UNSUPPORTED_MEDIA_TYPE'));
  add('ctype', 'infer application/json; charset=utf-8', infer(bytesInput([images.house]), { 'content-type': 'application/json; charset=utf-8' }), ok);
  add('ctype', 'infer without a Content-Type', infer(bytesInput([images.house]), {}), ok);
  add('ctype', 'infer gzip-encoded JSON (Content-Encoding is not decoded)', infer(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), { 'content-type': json, 'content-encoding': 'gzip' }), e(400, 'INVALID_JSON'));

  // HTTP framing and headers, refused by Node's parser.
  const framing = (name: string, raw: string | Buffer, expected: Expected = e(400, 'MALFORMED_HTTP')) => add('framing', name, raw, expected, { closes: true });
  framing('Content-Length abc', `POST ${model}/infer HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}`);
  framing('Content-Length -1', `POST ${model}/infer HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}`);
  framing('two different Content-Lengths', `POST ${model}/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`);
  framing('Content-Length and Transfer-Encoding (request smuggling)', `POST ${model}/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
  // These two pass the headers, so the token is needed to get as far as their bodies.
  framing('Transfer-Encoding gzip alone', `POST ${model}/infer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: gzip\r\n\r\n{}`);
  framing('a bad chunk size', `POST ${model}/infer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`);
  framing('a NUL in a header value', Buffer.from(`GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n`, 'latin1'));
  framing('a space in a header name', `GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n`);
  framing('obsolete line folding', `GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n`);
  framing('bare LF line ends', 'GET /v2/health/live HTTP/1.1\nHost: x\n\n');
  framing('not HTTP at all', 'SSH-2.0-OpenSSH_9.6\r\n\r\n');
  framing('TLS ClientHello on the plain port', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]));
  framing('20 KB of headers', `GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, e(431, 'HEADERS_TOO_LARGE'));
  add('headers', 'HTTP/1.1 without Host', 'GET /v2/health/live HTTP/1.1\r\n\r\n', e(400, 'MALFORMED_HTTP'));
  add('headers', 'HTTP/1.0 without Host', 'GET /v2/health/live HTTP/1.0\r\n\r\n', ok, { closes: true });
  add('headers', 'Expect: 100-continue', [`POST ${model}/infer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: ${bytesInput([images.house]).length}\r\n\r\n`, { pauseMs: 100 }, bytesInput([images.house])], ok);
  add('headers', 'Expect: teapot', req({ method: 'POST', target: `${model}/infer`, headers: { expect: 'teapot', 'content-type': json }, body: '{}' }), e(417, 'EXPECTATION_FAILED'));
  add('headers', 'Connection: Upgrade to websocket (ignored)', req({ target: '/v2/health/live', headers: { connection: 'Upgrade', upgrade: 'websocket' } }), ok);
  add('headers', '1,000 small headers', `GET /v2/health/live HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 1000 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`, ok);

  // Pipelining and slow clients.
  const three = [1, 2, 3].map((i) => infer(JSON.stringify({ id: `p${i}`, ...JSON.parse(bytesInput([images.house])) })));
  add('pipelining', 'three inferences in one write, answered in order', Buffer.concat(three), [1, 2, 3].map((i) => ({ status: 200, check: (r: RawResponse) => (r.json?.id === `p${i}` ? undefined : `expected id p${i}, got ${String(r.json?.id)}`) })));
  add('pipelining', 'GET, POST, 404, GET in one write', Buffer.concat([req({ target: '/v2/health/live' }), infer(bytesInput([images.house])), req({ target: '/nope' }), req({ target: model })]), [ok, ok, e(404, 'NOT_FOUND'), ok]);
  add('pipelining', 'a request after a malformed one is never parsed', Buffer.concat([Buffer.from('GET /v2/health/live HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n'), req({ target: '/v2/health/live' })]), e(400, 'MALFORMED_HTTP'), { closes: true, waitMs: 1500 });
  add('slow', 'headers sent a byte every 5 ms', Array.from(req({ target: '/v2/health/live' }).toString('latin1')).flatMap((c) => [c, { pauseMs: 5 }]), ok);
  const body = bytesInput([images.house]);
  const head = req({ method: 'POST', target: `${model}/infer`, headers: { 'content-type': json, 'content-length': String(body.length) } });
  add('slow', 'a body sent in 1 KB pieces every 20 ms', [head, ...(body.match(/.{1,1024}/gs) ?? []).flatMap((piece) => [piece, { pauseMs: 20 }])], ok, { waitMs: 60_000 });
  return cases;
}

/** Checks one case's answers; returns what went wrong, or undefined. */
export function judge(testCase: HostileCase, responses: RawResponse[], closedByServer: boolean): string | undefined {
  if (responses.length < testCase.expect.length) return `expected ${testCase.expect.length} answers, got ${responses.length}${closedByServer ? ' (the server closed)' : ''}`;
  for (const [i, expected] of testCase.expect.entries()) {
    const got = responses[i]!;
    if (got.status !== expected.status) return `answer ${i}: expected ${expected.status} ${expected.code ?? ''}, got ${got.status} ${got.json?.code ?? got.body.slice(0, 80)}`;
    if (got.status >= 400 && got.json?.code !== (expected.code ?? got.json?.code)) return `answer ${i}: expected code ${expected.code}, got ${got.json?.code}`;
    if (got.status >= 400 && (typeof got.json?.error !== 'string' || typeof got.json?.code !== 'string')) return `answer ${i}: expected an { error, code } body, got ${got.body.slice(0, 80)}`;
    const problem = expected.check?.(got);
    if (problem) return `answer ${i}: ${problem}`;
  }
  if (testCase.closes && !closedByServer && !responses.some((r) => r.headers.connection === 'close')) return 'expected the server to close the connection';
  return undefined;
}
