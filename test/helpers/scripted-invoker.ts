import type { FunctionEvent, ItemAnswer } from '../../src/core/function-event.js';
import type { FunctionInvoker, InvokeOutcome } from '../../src/core/invoker.js';

export interface Call {
  functionName: string;
  event: FunctionEvent;
  resolve(outcome: InvokeOutcome): void;
}

/**
 * A FunctionInvoker whose answers the test gives by hand: each invoke() waits until the
 * test resolves its call. For the gateway's batching and retry logic under a virtual clock,
 * where a real function's timing would make the test depend on the machine. Tests of the
 * gateway with the real runtime and model are in gateway-live.test.ts.
 */
export class ScriptedInvoker implements FunctionInvoker {
  readonly kind = 'scripted';
  readonly calls: Call[] = [];
  memoryMb = 1769;
  /** The memory each function was last given. */
  readonly memoryMbOf: Record<string, number> = {};

  invoke(functionName: string, event: FunctionEvent, done: (outcome: InvokeOutcome) => void): void {
    this.calls.push({ functionName, event, resolve: done });
  }

  async getMemoryMb(): Promise<number> {
    return this.memoryMb;
  }

  setMemoryMb(functionName: string, memoryMb: number, done: (error?: Error) => void): void {
    this.memoryMb = memoryMb;
    this.memoryMbOf[functionName] = memoryMb;
    done();
  }

  async close(): Promise<void> {}
}

/** A successful answer echoing each input's position, so tests can check the demux. */
export function echoOutcome(event: FunctionEvent, override: (index: number) => ItemAnswer | undefined = () => undefined): InvokeOutcome {
  return {
    ok: true,
    result: {
      outputs: event.inputs.map((_, i) => override(i) ?? { shape: [1], data: [i], top: [{ label: `item-${i}`, probability: 1 }] }),
      timings: { initMs: 0, decodeMs: 0, inferenceMs: 0, totalMs: 0 },
      processes: event.processes ?? 1,
      threadsPerProcess: event.threadsPerProcess ?? 1,
    },
  };
}

/** Lets promise callbacks run (what a request's promise resolves to reaches the test in microtasks). */
export const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};
