import type { ErrorCode, ItemError } from './errors.js';

/**
 * The contract between the gateway (or any caller) and the ferry function. Other tools rely
 * on these shapes: change them only compatibly.
 */
export interface FunctionEvent {
  model: string;
  inputs: EventInput[];
  /** Worker processes to spread the batch over. @default 1 */
  processes?: number;
  /** ONNX Runtime intra-op threads per worker. @default 1 */
  threadsPerProcess?: number;
  /** How many labels to return per item, most probable first. @default 5 */
  topK?: number;
}

/** An encoded image (JPEG, PNG or WebP, base64), or a ready tensor (float32 little-endian, base64). */
export type EventInput = { image: string } | { tensor: string; shape: number[] };

export interface LabelProbability {
  label: string;
  probability: number;
}

export interface ItemOutput {
  shape: number[];
  data: number[];
  top: LabelProbability[];
}

export type ItemAnswer = ItemOutput | { error: ItemError };

export interface FunctionTimings {
  /** Time this invocation spent starting workers and loading sessions (0 when warm). */
  initMs: number;
  /** Decode + preprocessing time on the slowest worker. */
  decodeMs: number;
  /** ONNX Runtime time on the slowest worker. */
  inferenceMs: number;
  /** Handler wall time, from event to answer. */
  totalMs: number;
}

export interface FunctionResult {
  outputs: ItemAnswer[];
  timings: FunctionTimings;
  /** Worker processes that served this batch (after any resize). */
  processes: number;
  threadsPerProcess: number;
}

/** An answer for the whole event that could not be served at all (bad event, unknown model). */
export interface FunctionFailure {
  error: ItemError;
}

export function isItemError(answer: ItemAnswer): answer is { error: ItemError } {
  return 'error' in answer;
}

export function itemError(code: ErrorCode, message: string): { error: ItemError } {
  return { error: { code, message } };
}

export const processLimits = { min: 1, max: 6 } as const;
export const threadLimits = { min: 1, max: 6 } as const;
