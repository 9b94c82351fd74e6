import type { ReportFields } from './billing.js';
import type { FunctionEvent, FunctionResult } from './function-event.js';

/** What one invocation was billed for (from the REPORT line). */
export interface InvocationBilling extends ReportFields {
  costUsd: number;
}

/**
 * Why an invocation produced no result:
 * - `throttled`: the platform refused it (429 TooManyRequestsException); retry with backoff;
 * - `function-error`: the function ran and failed (X-Amz-Function-Error); `errorType` says
 *   how (a ferry error code, `Runtime.ExitError`, `Runtime.OutOfMemory`, `Sandbox.Timedout`);
 * - `not-found`: no such function;
 * - `invalid-request`: the platform rejected the request (bad payload, too large);
 * - `transport`: the platform could not be reached or answered nonsense.
 */
export type InvokeErrorKind = 'throttled' | 'function-error' | 'not-found' | 'invalid-request' | 'transport';

export interface InvokeError {
  kind: InvokeErrorKind;
  errorType: string;
  message: string;
}

export type InvokeOutcome =
  | { ok: true; result: FunctionResult; billing?: InvocationBilling }
  | { ok: false; error: InvokeError; billing?: InvocationBilling };

/**
 * The one seam between ferry's control code and where functions run: the embedded local
 * runtime, AWS Lambda, or the simulator. Implementations never throw for a failed
 * invocation; they return `ok: false` with a kind the dispatcher can act on.
 */
export interface FunctionInvoker {
  readonly kind: string;
  invoke(functionName: string, event: FunctionEvent): Promise<InvokeOutcome>;
  getMemoryMb(functionName: string): Promise<number>;
  /** Applies a memory size; resolves once new invocations run with it. */
  setMemoryMb(functionName: string, memoryMb: number): Promise<void>;
  close(): Promise<void>;
}

/** Whether retrying the same invocation may succeed (inference is idempotent). */
export function isRetryable(error: InvokeError): boolean {
  if (error.kind === 'throttled' || error.kind === 'transport') return true;
  return error.kind === 'function-error' && (error.errorType === 'Runtime.ExitError' || error.errorType === 'WORKER_CRASHED');
}
