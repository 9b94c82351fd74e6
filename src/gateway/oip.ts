import { describeValue, FerryError } from '../core/errors.js';
import type { EventInput } from '../core/function-event.js';
import type { ModelInfo } from '../models/catalog.js';

/** One request item, ready for the queue. */
export interface AdmittedItem {
  input: EventInput;
  /** Bytes it adds to an invocation's JSON payload. */
  payloadBytes: number;
}

/** Items per HTTP request, at most: larger batches are the gateway's job, not the client's. */
export const maxItemsPerRequest = 64;

const invalid = (message: string) => new FerryError('INVALID_REQUEST', message);

/**
 * Reads an Open Inference Protocol v2 inference request (KServe / Triton) into items:
 * - `FP32` input named like the model's input: shape `[N, ...item]` (or `[...item]` for
 *   one), data flat or nested in row-major order;
 * - `BYTES` input (any name): shape `[N]`, data N base64-encoded images.
 * Every message names the field, what was expected and what came.
 */
export function parseInferRequest(body: unknown, spec: ModelInfo): AdmittedItem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid(`Expected the body to be a JSON object, got ${describeValue(body)}`);
  }
  const inputs = (body as { inputs?: unknown }).inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw invalid(`Expected inputs to be an array of exactly 1 tensor, got ${describeValue(inputs)}`);
  }
  const tensor = inputs[0] as Record<string, unknown>;
  if (typeof tensor !== 'object' || tensor === null) throw invalid(`Expected inputs[0] to be an object, got ${describeValue(tensor)}`);
  if (typeof tensor.name !== 'string') throw invalid(`Expected inputs[0].name to be a string, got ${describeValue(tensor.name)}`);
  const shape = tensor.shape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw invalid(`Expected inputs[0].shape to be a non-empty array of positive integers, got ${describeValue(shape)}`);
  }
  if (!Array.isArray(tensor.data)) throw invalid(`Expected inputs[0].data to be an array, got ${describeValue(tensor.data)}`);
  if (tensor.datatype === 'BYTES') return imageItems(shape as number[], tensor.data);
  if (tensor.datatype === 'FP32') return tensorItems(tensor.name, shape as number[], tensor.data, spec);
  throw invalid(`Expected inputs[0].datatype to be FP32 (a tensor) or BYTES (base64 images), got ${describeValue(tensor.datatype)}`);
}

/** A raw image body (the classify endpoint). */
export function imageItem(bytes: Buffer): AdmittedItem {
  const image = bytes.toString('base64');
  return { input: { image }, payloadBytes: image.length + 16 };
}

function imageItems(shape: number[], data: unknown[]): AdmittedItem[] {
  if (shape.length !== 1) throw invalid(`Expected a BYTES input's shape to be [N], got [${shape.join(', ')}]`);
  const count = shape[0]!;
  checkCount(count);
  if (data.length !== count) throw invalid(`Expected inputs[0].data to hold ${count} base64 images, got ${data.length} entries`);
  return data.map((entry, i) => {
    if (typeof entry !== 'string' || entry.length === 0) {
      throw invalid(`Expected inputs[0].data[${i}] to be a base64 string, got ${describeValue(entry)}`);
    }
    return { input: { image: entry }, payloadBytes: entry.length + 16 };
  });
}

function tensorItems(name: string, shape: number[], data: unknown[], spec: ModelInfo): AdmittedItem[] {
  if (name !== spec.inputName) throw invalid(`Expected inputs[0].name to be "${spec.inputName}" for ${spec.name}, got "${name}"`);
  const item = spec.itemShape;
  const batched = shape.length === item.length + 1;
  const itemDims = batched ? shape.slice(1) : shape;
  if (itemDims.length !== item.length || itemDims.some((d, i) => d !== item[i])) {
    throw invalid(`Expected inputs[0].shape to be [N, ${item.join(', ')}], got [${shape.join(', ')}]`);
  }
  const count = batched ? shape[0]! : 1;
  checkCount(count);
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
    }
    const tensor = Buffer.from(floats.buffer).toString('base64');
    items.push({ input: { tensor, shape: [...item] }, payloadBytes: tensor.length + 64 });
  }
  return items;
}

function checkCount(count: number): void {
  if (count > maxItemsPerRequest) throw invalid(`Expected at most ${maxItemsPerRequest} items per request, got ${count}`);
}
