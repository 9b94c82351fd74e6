import type { ErrorCode } from '../core/errors.js';

/** The HTTP status each error code answers with. Input errors are the client's (4xx). */
const statusByCode: Record<ErrorCode, number> = {
  INVALID_EVENT: 400,
  UNKNOWN_MODEL: 404,
  INVALID_INPUT: 400,
  IMAGE_DECODE_FAILED: 400,
  TENSOR_SHAPE_MISMATCH: 400,
  TENSOR_NOT_FINITE: 400,
  UNSUPPORTED_IMAGE_FORMAT: 415,
  WORKER_CRASHED: 502,
  WORKER_START_FAILED: 502,
  INFERENCE_FAILED: 500,
  MODEL_VERIFICATION_FAILED: 500,
  INVALID_ARGUMENT: 400,
  INVALID_JSON: 400,
  EMPTY_BODY: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  QUEUE_FULL: 503,
  SHUTTING_DOWN: 503,
  THROTTLED: 503,
  INVOCATION_FAILED: 502,
  INVOCATION_TIMEOUT: 504,
  INTERNAL_ERROR: 500,
  ITEM_TOO_LARGE: 413,
  MALFORMED_HTTP: 400,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  EXPECTATION_FAILED: 417,
  // nginx's "client closed request": never sent (nobody is left to read it), only counted.
  CLIENT_GONE: 499,
};

export function httpStatusFor(code: ErrorCode): number {
  return statusByCode[code];
}
