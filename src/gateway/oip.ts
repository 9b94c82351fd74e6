import { describeValue, FerryError, quoteText } from '../core/errors.js';
import type { EventInput } from '../core/function-event.js';
import { sniffBytes } from '../core/image-format.js';
import type { ModelInfo } from '../models/catalog.js';
import { checkImageFormat, checkItemCount, checkItemSize, type AdmissionLimits } from './admission.js';

/** One request item, ready for the queue. */
export interface AdmittedItem {
  input: EventInput;
  /** Bytes it adds to an invocation's JSON payload. */
  payloadBytes: number;
}

const invalid = (message: string) => new FerryError('INVALID_REQUEST', message);

/** Standard or URL-safe base64, as the function accepts it (white space removed first). */
const base64Pattern = /^[A-Za-z0-9+/_-]*={0,2}$/;
/** Base64 characters that decode to at least `sniffBytes` bytes. */
const sniffChars = Math.ceil(sniffBytes / 3) * 4;

/**
 * Reads an Open Inference Protocol v2 inference request (KServe / Triton) into items:
 * - `FP32` input named like the model's input: shape `[N, ...item]` (or `[...item]` for
 *   one), data flat or nested in row-major order, every value finite as a float32;
 * - `BYTES` input (any name): shape `[N]`, data N base64-encoded JPEG, PNG or WebP images.
 * Every message names the field, what was expected and what came, and quotes at most a
 * few dozen characters of the input.
 */
export function parseInferRequest(body: unknown, spec: ModelInfo, limits: AdmissionLimits): AdmittedItem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid(`Expected the body to be a JSON object, got ${describeValue(body)}`);
  }
  const inputs = (body as { inputs?: unknown }).inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw invalid(`Expected inputs to be an array of exactly 1 tensor, got ${describeValue(inputs)}`);
  }
  const tensor = inputs[0] as Record<string, unknown>;
  if (typeof tensor !== 'object' || tensor === null || Array.isArray(tensor)) throw invalid(`Expected inputs[0] to be an object, got ${describeValue(tensor)}`);
  if (typeof tensor.name !== 'string') throw invalid(`Expected inputs[0].name to be a string, got ${describeValue(tensor.name)}`);
  const shape = tensor.shape;
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw invalid(`Expected inputs[0].shape to be a non-empty array of positive integers, got ${describeValue(shape)}`);
  }
  if (!Array.isArray(tensor.data)) throw invalid(`Expected inputs[0].data to be an array, got ${describeValue(tensor.data)}`);
  if (tensor.datatype === 'BYTES') return imageItems(shape as number[], tensor.data, limits);
  if (tensor.datatype === 'FP32') return tensorItems(tensor.name, shape as number[], tensor.data, spec, limits);
  throw invalid(`Expected inputs[0].datatype to be FP32 (a tensor) or BYTES (base64 images), got ${describeValue(tensor.datatype)}`);
}

/** A raw image body (the classify endpoint). */
export function imageItem(bytes: Buffer): AdmittedItem {
  const image = bytes.toString('base64');
  return { input: { image }, payloadBytes: image.length + 16 };
}

function imageItems(shape: number[], data: unknown[], limits: AdmissionLimits): AdmittedItem[] {
  if (shape.length !== 1) throw invalid(`Expected a BYTES input's shape to be [N], got [${shape.join(', ')}]`);
  const count = shape[0]!;
  checkItemCount(count, limits);
  if (data.length !== count) throw invalid(`Expected inputs[0].data to hold ${count} base64 images, got ${data.length} entries`);
  return data.map((entry, i) => {
    const where = `inputs[0].data[${i}]`;
    if (typeof entry !== 'string' || entry.length === 0) throw invalid(`Expected ${where} to be a base64 string, got ${describeValue(entry)}`);
    // Checked here, not in the function: a string that is not base64 (or holds non-ASCII
    // characters, whose JSON takes more bytes than its length) must not reach a payload.
    const image = /\s/.test(entry) ? entry.replace(/\s+/g, '') : entry;
    if (!base64Pattern.test(image)) throw invalid(`Expected ${where} to be base64 (A-Z, a-z, 0-9, +/ or -_, = padding), got ${describeValue(entry)}`);
    checkImageFormat(Buffer.from(image.slice(0, sniffChars), 'base64'), where);
    const payloadBytes = image.length + 16;
    checkItemSize(payloadBytes, where, limits);
    return { input: { image }, payloadBytes };
  });
}

function tensorItems(name: string, shape: number[], data: unknown[], spec: ModelInfo, limits: AdmissionLimits): AdmittedItem[] {
  if (name !== spec.inputName) throw invalid(`Expected inputs[0].name to be "${spec.inputName}" for ${spec.name}, got ${quoteText(name)}`);
  const item = spec.itemShape;
  const batched = shape.length === item.length + 1;
  const itemDims = batched ? shape.slice(1) : shape;
  if (itemDims.length !== item.length || itemDims.some((d, i) => d !== item[i])) {
    throw invalid(`Expected inputs[0].shape to be [N, ${item.join(', ')}], got [${shape.join(', ')}]`);
  }
  const count = batched ? shape[0]! : 1;
  checkItemCount(count, limits);
  const values = data.flat(item.length + 1) as unknown[];
  const itemLength = item.reduce((a, b) => a * b, 1);
  if (values.length !== count * itemLength) {
    throw invalid(`Expected inputs[0].data to hold ${count * itemLength} values for shape [${shape.join(', ')}], got ${values.length}`);
  }
  const items: AdmittedItem[] = [];
  for (let n = 0; n < count; n++) {
    const floats = new Float32Array(itemLength);
    for (let i = 0; i < itemLength; i++) {
      const value = values[n * itemLength + i];
      if (typeof value !== 'number') throw invalid(`Expected inputs[0].data[${n * itemLength + i}] to be a number, got ${describeValue(value)}`);
      floats[i] = value;
      // JSON has no NaN, but 1e39 overflows float32 (and 1e400 even float64) to Infinity.
      if (!Number.isFinite(floats[i]!)) {
        throw new FerryError('TENSOR_NOT_FINITE', `Expected inputs[0].data[${n * itemLength + i}] to be finite as a float32, got ${describeValue(value)}`);
      }
    }
    const tensor = Buffer.from(floats.buffer).toString('base64');
    const payloadBytes = tensor.length + 64;
    checkItemSize(payloadBytes, `item ${n}`, limits);
    items.push({ input: { tensor, shape: [...item] }, payloadBytes });
  }
  return items;
}
