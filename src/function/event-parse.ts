import { describeValue, FerryError, type ItemError } from '../core/errors.js';
import { processLimits, threadLimits } from '../core/function-event.js';
import { getModel, itemLength, type ModelSpec } from './models/registry.js';
import type { WireItem } from './worker-protocol.js';

export interface ParsedEvent {
  spec: ModelSpec;
  items: WireItem[];
  processes: number;
  threadsPerProcess: number;
  topK: number;
}

const base64Pattern = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Checks a function event. A malformed event as a whole throws INVALID_EVENT or
 * UNKNOWN_MODEL; a malformed item only marks that item invalid, so the rest still run.
 */
export function parseEvent(event: unknown): ParsedEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new FerryError('INVALID_EVENT', `Expected the event to be an object, got ${describeValue(event)}`);
  }
  const fields = event as Record<string, unknown>;
  if (typeof fields.model !== 'string') {
    throw new FerryError('INVALID_EVENT', `Expected event.model to be a string, got ${describeValue(fields.model)}`);
  }
  const spec = getModel(fields.model);
  if (!Array.isArray(fields.inputs)) {
    throw new FerryError('INVALID_EVENT', `Expected event.inputs to be an array, got ${describeValue(fields.inputs)}`);
  }
  return {
    spec,
    items: fields.inputs.map((input, index) => parseItem(input, index, spec)),
    processes: integerField(fields, 'processes', 1, processLimits.min, processLimits.max),
    threadsPerProcess: integerField(fields, 'threadsPerProcess', 1, threadLimits.min, threadLimits.max),
    topK: integerField(fields, 'topK', 5, 0, spec.labels.length),
  };
}

function integerField(fields: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const value = fields[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FerryError('INVALID_EVENT', `Expected event.${name} to be an integer in ${min}..${max}, got ${describeValue(value)}`);
  }
  return value;
}

function parseItem(input: unknown, index: number, spec: ModelSpec): WireItem {
  if (typeof input !== 'object' || input === null) {
    return invalid('INVALID_INPUT', `Expected inputs[${index}] to be {image} or {tensor, shape}, got ${describeValue(input)}`);
  }
  const item = input as Record<string, unknown>;
  if (typeof item.image === 'string') {
    const bytes = decodeBase64(item.image);
    if (!bytes || bytes.length === 0) return invalid('INVALID_INPUT', `Expected inputs[${index}].image to be non-empty base64`);
    return { kind: 'image', bytes };
  }
  if (typeof item.tensor === 'string') return parseTensor(item, index, spec);
  return invalid('INVALID_INPUT', `Expected inputs[${index}] to have an "image" or a "tensor" string field`);
}

function parseTensor(item: Record<string, unknown>, index: number, spec: ModelSpec): WireItem {
  const expected = spec.itemShape;
  const shape = item.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    return invalid('TENSOR_SHAPE_MISMATCH', `Expected inputs[${index}].shape to be an array of positive integers, got ${describeValue(shape)}`);
  }
  // A leading batch dimension of 1 is accepted: callers often send [1, ...item].
  const itemShape = shape.length === expected.length + 1 && shape[0] === 1 ? shape.slice(1) : shape;
  if (itemShape.length !== expected.length || itemShape.some((d, i) => d !== expected[i])) {
    return invalid('TENSOR_SHAPE_MISMATCH', `Expected inputs[${index}].shape to be [${expected.join(', ')}], got [${shape.join(', ')}]`);
  }
  const bytes = decodeBase64(item.tensor as string);
  const length = itemLength(spec);
  if (!bytes || bytes.length !== length * 4) {
    return invalid('TENSOR_SHAPE_MISMATCH', `Expected inputs[${index}].tensor to be ${length * 4} bytes of float32 (base64), got ${bytes ? bytes.length : 'malformed base64'}`);
  }
  // Copy into an aligned buffer; ferry runs on little-endian hosts (x64, arm64), like Lambda.
  const aligned = new Uint8Array(bytes.length);
  aligned.set(bytes);
  const data = new Float32Array(aligned.buffer);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return invalid('TENSOR_NOT_FINITE', `Expected inputs[${index}].tensor to be finite, got ${data[bad]} at element ${bad}`);
  return { kind: 'tensor', data };
}

function invalid(code: ItemError['code'], message: string): WireItem {
  return { kind: 'invalid', error: { code, message } };
}

function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  return base64Pattern.test(compact) ? Buffer.from(compact, 'base64') : undefined;
}
