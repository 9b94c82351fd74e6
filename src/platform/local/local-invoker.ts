import type { FunctionEvent } from '../../core/function-event.js';
import { settleInvocation, type FunctionInvoker, type InvokeOutcome } from '../../core/invoker.js';
import { outcomeFromInvoke } from '../../core/invoke-outcome.js';
import { LambdaApiError } from './runtime-errors.js';
import type { LocalRuntime } from './runtime.js';

/** Invokes functions of an embedded LocalRuntime in-process (no HTTP in between). */
export class LocalInvoker implements FunctionInvoker {
  readonly kind = 'local';

  constructor(private readonly runtime: LocalRuntime) {}

  invoke(functionName: string, event: FunctionEvent, done: (outcome: InvokeOutcome) => void): void {
    settleInvocation(() => this.run(functionName, event), done);
  }

  private async run(functionName: string, event: FunctionEvent): Promise<InvokeOutcome> {
    try {
      const result = await this.runtime.invoke(functionName, JSON.stringify(event));
      return outcomeFromInvoke(result.payload, result.functionError, result.log);
    } catch (error) {
      if (!(error instanceof LambdaApiError)) throw error;
      return { ok: false, error: apiErrorKind(error) };
    }
  }

  async getMemoryMb(functionName: string): Promise<number> {
    return this.runtime.getConfiguration(functionName).MemorySize as number;
  }

  setMemoryMb(functionName: string, memoryMb: number, done: (error?: Error) => void): void {
    try {
      this.runtime.updateConfiguration(functionName, { MemorySize: memoryMb });
    } catch (error) {
      return done(error as Error);
    }
    done();
  }

  async close(): Promise<void> {
    // The runtime belongs to whoever made it.
  }
}

function apiErrorKind(error: LambdaApiError): { kind: 'throttled' | 'not-found' | 'invalid-request' | 'transport'; errorType: string; message: string } {
  const kind = error.statusCode === 429 ? 'throttled' : error.statusCode === 404 ? 'not-found' : error.statusCode < 500 ? 'invalid-request' : 'transport';
  return { kind, errorType: error.errorType, message: error.message };
}
