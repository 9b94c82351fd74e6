/**
 * Every error ferry reports has a stable `code`. Codes are never reused or renamed: clients
 * switch on them. docs/errors.md lists each one, and a test fails when one is missing there.
 */
export const errorCodes = {
  // Function event and per-item input errors.
  INVALID_EVENT: 'the function event is malformed (missing or wrong-typed field)',
  UNKNOWN_MODEL: 'the named model is not in the registry',
  INVALID_INPUT: 'an input item is neither {image} nor {tensor, shape}, or its base64 is malformed',
  IMAGE_DECODE_FAILED: 'an image input could not be decoded as JPEG, PNG or WebP',
  TENSOR_SHAPE_MISMATCH: "a tensor input's shape or byte length does not match the model's input",
  TENSOR_NOT_FINITE: 'a tensor input contains NaN or an infinite value',
  UNSUPPORTED_IMAGE_FORMAT: 'an image is of another known format than JPEG, PNG or WebP (GIF, TIFF, SVG, ...), refused undecoded',
  // Failures inside the function.
  WORKER_CRASHED: 'the worker process running this item exited before answering',
  WORKER_START_FAILED: 'a worker process could not start or load the model',
  INFERENCE_FAILED: 'ONNX Runtime rejected or failed the batch this item was in',
  MODEL_VERIFICATION_FAILED: 'a converted model did not reproduce its reference output',
  // Local tooling.
  INVALID_ARGUMENT: 'a command-line argument or option is malformed',
  // Gateway (HTTP).
  INVALID_JSON: 'the request body is not valid JSON',
  EMPTY_BODY: 'the request has no body',
  BODY_TOO_LARGE: 'the request body is over the size limit',
  UNSUPPORTED_MEDIA_TYPE: 'the Content-Type is not one this endpoint accepts',
  INVALID_REQUEST: 'a field of the inference request is missing or has the wrong shape, type or value',
  UNAUTHORIZED: 'a bearer token is required and was missing or wrong',
  NOT_FOUND: 'no such route',
  QUEUE_FULL: "the model's queue is full; retry after the Retry-After header's seconds",
  SHUTTING_DOWN: 'the gateway is draining and accepts no new requests',
  THROTTLED: 'the platform kept refusing the invocation (429) after every retry',
  INVOCATION_FAILED: 'the function invocation failed after every retry',
  INVOCATION_TIMEOUT: 'the function did not answer within the invocation timeout',
  INTERNAL_ERROR: 'a bug in the gateway: the message says where',
  ITEM_TOO_LARGE: 'one request item is larger than one invocation can carry (Lambda: 6 MB)',
  MALFORMED_HTTP: "Node's HTTP parser refused the request (request line, header or framing)",
  HEADERS_TOO_LARGE: 'the request line and headers are over the size limit',
  REQUEST_TIMEOUT: 'the client did not send its whole request in time',
  EXPECTATION_FAILED: 'the request has an Expect header other than 100-continue',
  CLIENT_GONE: 'the client closed its connection before its answer; items not yet sent to a function were withdrawn',
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class FerryError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    // The code is the name: AWS Lambda's Node.js runtime reports a thrown error's name as
    // its errorType, so callers of a real or local function see the stable code there.
    this.name = code;
    this.code = code;
  }

  toJSON(): ItemError {
    return { code: this.code, message: this.message };
  }
}

/** The wire shape of an error, as it appears in a function's answer. */
export interface ItemError {
  code: ErrorCode;
  message: string;
}

/** Describes a value for "expected X, got Y" messages without dumping large payloads. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (typeof value === 'string') return value.length > 40 ? `string of length ${value.length}` : `"${value}" (string)`;
  if (typeof value === 'object') return 'object';
  return `${String(value)} (${typeof value})`;
}

/** Longest text an error message quotes from its input (a URL, a header, a name). */
export const maxQuotedChars = 64;

/**
 * Text from a client, quoted for a message: at most `maxChars` characters, with its full
 * length said when cut, so that no error echoes an attacker's megabyte back (or into a log).
 */
export function quoteText(text: string, maxChars = maxQuotedChars): string {
  const shown = JSON.stringify(text.length > maxChars ? text.slice(0, maxChars) : text);
  return text.length > maxChars ? `${shown.slice(0, -1)}..." (${text.length} characters)` : shown;
}
