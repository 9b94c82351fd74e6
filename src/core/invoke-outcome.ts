import { invocationCostUsd, parseReportLine } from './billing.js';
import type { FunctionResult } from './function-event.js';
import type { InvocationBilling, InvokeOutcome } from './invoker.js';

/**
 * Turns what Lambda's Invoke returns (payload text, X-Amz-Function-Error, the log tail)
 * into an outcome. Shared by every invoker that talks Lambda's protocol, so that the local
 * runtime and AWS are read the same way.
 */
export function outcomeFromInvoke(payload: string, functionError: string | undefined, log: string | undefined): InvokeOutcome {
  const billing = log === undefined ? undefined : billingFromLog(log);
  const withBilling = billing ? { billing } : {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return { ok: false, error: { kind: 'transport', errorType: 'InvalidPayload', message: `Function returned a payload that is not JSON (${payload.length} bytes)` }, ...withBilling };
  }
  if (functionError) {
    const fields = (parsed ?? {}) as { errorType?: unknown; errorMessage?: unknown };
    return {
      ok: false,
      error: { kind: 'function-error', errorType: String(fields.errorType ?? functionError), message: String(fields.errorMessage ?? '') },
      ...withBilling,
    };
  }
  const result = parsed as Partial<FunctionResult> | null;
  if (!result || !Array.isArray(result.outputs)) {
    return { ok: false, error: { kind: 'transport', errorType: 'InvalidPayload', message: 'Function answer has no outputs array' }, ...withBilling };
  }
  return { ok: true, result: result as FunctionResult, ...withBilling };
}

export function billingFromLog(log: string): InvocationBilling | undefined {
  const report = parseReportLine(log);
  if (!report) return undefined;
  return { ...report, costUsd: invocationCostUsd(report.billedDurationMs, report.memoryMb) };
}
