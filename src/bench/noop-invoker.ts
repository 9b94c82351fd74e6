import { billedDurationMs, invocationCostUsd } from '../core/billing.js';
import type { FunctionEvent, ItemOutput } from '../core/function-event.js';
import type { FunctionInvoker, InvokeOutcome } from '../core/invoker.js';

/** The answer every item gets: MobileNetV2's shape (5 classes), fixed values. */
export const fixedAnswer: ItemOutput = {
  shape: [5],
  data: [0.02, 0.01, 0.95, 0.01, 0.01],
  top: [{ label: 'Neutral', probability: 0.95 }, { label: 'Drawing', probability: 0.02 }],
};

/**
 * A stand-in for the platform, NOT a function: it runs no model and starts no process.
 * Every invocation answers all of its items at once with a fixed output, after `delayMs`
 * (0: at once, in-process), with a billing record priced as Lambda would price that
 * duration. It isolates the gateway's own cost (HTTP, admission, batching, dispatch,
 * metrics) in the overhead benchmark and in the load generator's tests.
 */
export class NoopInvoker implements FunctionInvoker {
  readonly kind = 'noop';
  invocations = 0;
  private readonly memoryMb = new Map<string, number>();

  constructor(private readonly delayMs = 0) {}

  invoke(functionName: string, event: FunctionEvent, done: (outcome: InvokeOutcome) => void): void {
    this.invocations++;
    if (this.delayMs > 0) setTimeout(() => done(this.answer(functionName, event)), this.delayMs);
    else queueMicrotask(() => done(this.answer(functionName, event))); // never before invoke() returns
  }

  private answer(functionName: string, event: FunctionEvent): InvokeOutcome {
    const memoryMb = this.memoryMb.get(functionName) ?? 1769;
    const billedMs = billedDurationMs(this.delayMs);
    return {
      ok: true,
      result: {
        outputs: event.inputs.map(() => fixedAnswer),
        timings: { initMs: 0, decodeMs: 0, inferenceMs: 0, totalMs: this.delayMs },
        processes: event.processes ?? 1,
        threadsPerProcess: event.threadsPerProcess ?? 1,
      },
      billing: {
        // One id for all: formatting a fresh one would be the stand-in's cost, not the gateway's.
        requestId: 'noop', durationMs: this.delayMs, billedDurationMs: billedMs, memoryMb,
        maxMemoryUsedMb: 0, costUsd: invocationCostUsd(billedMs, memoryMb),
      },
    };
  }

  async getMemoryMb(functionName: string): Promise<number> {
    return this.memoryMb.get(functionName) ?? 1769;
  }

  setMemoryMb(functionName: string, memoryMb: number, done: (error?: Error) => void): void {
    this.memoryMb.set(functionName, memoryMb);
    done();
  }

  async close(): Promise<void> {}
}
