import type { ItemAnswer } from '../core/function-event.js';
import type { ItemError } from '../core/errors.js';

/** One item as sent to a worker: bytes already base64-decoded, or an error found while parsing. */
export type WireItem =
  | { kind: 'image'; bytes: Uint8Array }
  | { kind: 'tensor'; data: Float32Array }
  | { kind: 'invalid'; error: ItemError };

export type ToWorker =
  | { type: 'load'; modelName: string; modelPath: string; threads: number }
  | { type: 'run'; jobId: number; items: WireItem[]; topK: number };

export type FromWorker =
  | { type: 'loaded'; loadMs: number }
  | { type: 'load-failed'; error: ItemError }
  | { type: 'result'; jobId: number; outputs: ItemAnswer[]; decodeMs: number; inferenceMs: number };
