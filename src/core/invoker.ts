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
 * invocation; they answer `ok: false` with a kind the dispatcher can act on.
 *
 * Completion is by callback, not by promise, so that an event engine can step the
 * control code exactly: a simulated invocation that ends at 15 ms of virtual time is
 * observed at 15 ms, with no microtask queue to drain in between. Live invokers adapt
 * their promises with `.then(done)`; `invokeAsync` is the promise form for callers that
 * want one.
 */
export interface FunctionInvoker {
  readonly kind: string;
  /**
   * Runs one invocation and calls `done` exactly once with how it ended, never before
   * `invoke` returns (from a timer, a promise or an I/O callback), so that callers may
   * update their own state after starting it.
   */
  invoke(functionName: string, event: FunctionEvent, done: (outcome: InvokeOutcome) => void): void;
  getMemoryMb(functionName: string): Promise<number>;
  /**
   * Applies a memory size and calls `done` (with an error if it failed) once new
   * invocations run with it; a simulated platform may call it at once.
   */
  setMemoryMb(functionName: string, memoryMb: number, done: (error?: Error) => void): void;
  close(): Promise<void>;
}

/** `invoker.invoke` as a promise (tests, CLI tools, warm-up outside the control code). */
export function invokeAsync(invoker: FunctionInvoker, functionName: string, event: FunctionEvent): Promise<InvokeOutcome> {
  return new Promise((resolve) => invoker.invoke(functionName, event, resolve));
}

/** `invoker.setMemoryMb` as a promise. */
export function setMemoryMbAsync(invoker: FunctionInvoker, functionName: string, memoryMb: number): Promise<void> {
  return new Promise((resolve, reject) => invoker.setMemoryMb(functionName, memoryMb, (error) => (error ? reject(error) : resolve())));
}

/**
 * Adapts a promise-returning invocation to the callback form: a rejection (an invoker
 * bug, not a failed invocation) becomes a transport failure of that invocation alone.
 */
export function settleInvocation(run: () => Promise<InvokeOutcome>, done: (outcome: InvokeOutcome) => void): void {
  const failed = (error: unknown) =>
    done({ ok: false, error: { kind: 'transport', errorType: 'InvokerError', message: (error as Error)?.message ?? String(error) } });
  try {
    run().then(done, failed);
  } catch (error) {
    failed(error);
  }
}

/** Whether retrying the invocation may succeed (inference is idempotent; a crash retries in smaller batches). */
export function isRetryable(error: InvokeError): boolean {
  return error.kind === 'throttled' || error.kind === 'transport' || isCrash(error);
}

/**
 * Whether the function's process died: exited, ran out of memory (Lambda's
 * Runtime.OutOfMemory, or the runtime killed at the cgroup's limit), or lost a worker.
 */
export function isCrash(error: InvokeError): boolean {
  return error.kind === 'function-error' && (error.errorType === 'Runtime.ExitError' || error.errorType === 'Runtime.OutOfMemory' || error.errorType === 'WORKER_CRASHED');
}
