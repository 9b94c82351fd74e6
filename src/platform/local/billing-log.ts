import { createWriteStream, type WriteStream } from 'node:fs';
import type { BillingRecord } from '../../core/billing.js';

export interface FunctionBillingTotals {
  invocations: number;
  coldStarts: number;
  billedMs: number;
  gbSeconds: number;
  costUsd: number;
}

/**
 * Running billing totals per function; with `file`, every invocation's record is also
 * appended as a JSON line as it happens.
 */
export class BillingLog {
  private readonly totals = new Map<string, FunctionBillingTotals>();
  private readonly stream?: WriteStream;

  constructor(options: { file?: string } = {}) {
    if (options.file) this.stream = createWriteStream(options.file, { flags: 'a' });
  }

  add(record: BillingRecord): void {
    const totals = this.totals.get(record.functionName) ?? emptyTotals();
    totals.invocations++;
    if (record.cold) totals.coldStarts++;
    totals.billedMs += record.billedDurationMs;
    totals.gbSeconds += (record.billedDurationMs / 1000) * (record.memoryMb / 1024);
    totals.costUsd += record.costUsd;
    this.totals.set(record.functionName, totals);
    this.stream?.write(`${JSON.stringify(record)}\n`);
  }

  totalsFor(functionName: string): FunctionBillingTotals {
    return { ...(this.totals.get(functionName) ?? emptyTotals()) };
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }

  allTotals(): Record<string, FunctionBillingTotals> {
    return Object.fromEntries([...this.totals].map(([name, totals]) => [name, { ...totals }]));
  }
}

function emptyTotals(): FunctionBillingTotals {
  return { invocations: 0, coldStarts: 0, billedMs: 0, gbSeconds: 0, costUsd: 0 };
}
