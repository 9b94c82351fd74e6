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
 * Every invocation's billing record, with running totals per function. Keeps the newest
 * `capacity` records in memory; with `file`, appends each as a JSON line as it happens.
 */
export class BillingLog {
  private readonly records: BillingRecord[] = [];
  private readonly totals = new Map<string, FunctionBillingTotals>();
  private readonly stream?: WriteStream;

  constructor(private readonly options: { file?: string; capacity?: number } = {}) {
    if (options.file) this.stream = createWriteStream(options.file, { flags: 'a' });
  }

  add(record: BillingRecord): void {
    this.records.push(record);
    if (this.records.length > (this.options.capacity ?? 10_000)) this.records.shift();
    const totals = this.totals.get(record.functionName) ?? { invocations: 0, coldStarts: 0, billedMs: 0, gbSeconds: 0, costUsd: 0 };
    totals.invocations++;
    if (record.cold) totals.coldStarts++;
    totals.billedMs += record.billedDurationMs;
    totals.gbSeconds += (record.billedDurationMs / 1000) * (record.memoryMb / 1024);
    totals.costUsd += record.costUsd;
    this.totals.set(record.functionName, totals);
    this.stream?.write(`${JSON.stringify(record)}\n`);
  }

  recent(): readonly BillingRecord[] {
    return this.records;
  }

  totalsFor(functionName: string): FunctionBillingTotals {
    return { ...(this.totals.get(functionName) ?? { invocations: 0, coldStarts: 0, billedMs: 0, gbSeconds: 0, costUsd: 0 }) };
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }

  allTotals(): Record<string, FunctionBillingTotals> {
    return Object.fromEntries([...this.totals].map(([name, totals]) => [name, { ...totals }]));
  }
}
