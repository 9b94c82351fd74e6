import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../src/core/errors.js';
import { loadTrace, parseTraceCsv } from '../../src/loadgen/trace-csv.js';

/** The error a parse throws (its code and message). */
function errorOf(action: () => unknown): FerryError {
  try {
    action();
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error('Expected an error, got none');
}

describe('trace CSV', () => {
  it('reads Azure date-times (CRLF, 7-digit fraction, no trailing newline) to the sub-millisecond', () => {
    const text = 'TIMESTAMP,ContextTokens,GeneratedTokens\r\n2023-11-16 18:15:46.6805900,374,44\r\n2023-11-16 18:15:50.9951690,396,109\r\n2023-11-16 18:15:51.2224670,879,55';
    const trace = parseTraceCsv(text);
    expect(trace.format).toBe('datetime');
    expect(trace.column).toBe('TIMESTAMP');
    const offsets = trace.arrivalsMs.map((t) => t - trace.arrivalsMs[0]!);
    expect(offsets[0]).toBe(0);
    expect(offsets[1]).toBeCloseTo(4314.579, 2);
    expect(offsets[2]).toBeCloseTo(4541.877, 2);
  });

  it('crosses midnight and month ends without a gap', () => {
    const trace = parseTraceCsv('TIMESTAMP\n2023-11-30 23:59:59.5\n2023-12-01 00:00:00.25\n');
    expect(trace.arrivalsMs[1]! - trace.arrivalsMs[0]!).toBeCloseTo(750, 6);
  });

  it('reads a timestamp column in seconds, in any column, and sorts the rows', () => {
    const trace = parseTraceCsv('id,timestamp\na,1.5\nb,0.25\n\nc,3e0\n');
    expect(trace.format).toBe('seconds');
    expect(trace.arrivalsMs).toEqual([250, 1500, 3000]);
  });

  it('names the columns when there is no timestamp column', () => {
    const error = errorOf(() => parseTraceCsv('time,tokens\n1,2\n', 'x.csv'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/x\.csv .*TIMESTAMP.*"time", "tokens"/);
  });

  it('names the line of a row it cannot read', () => {
    const text = 'TIMESTAMP,a\n2023-11-16 18:15:46.68,1\n2023-11-16 18:15:47.00,1\nyesterday,1\n';
    const error = errorOf(() => parseTraceCsv(text, 'conv.csv'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('conv.csv line 4');
    expect(error.message).toContain('"yesterday"');
    expect(errorOf(() => parseTraceCsv('timestamp\n1\n2x\n')).message).toContain('line 3');
    expect(errorOf(() => parseTraceCsv('a,timestamp\n1,2\n3\n')).message).toContain('line 3');
    expect(errorOf(() => parseTraceCsv('TIMESTAMP\n2023-13-01 00:00:00\n')).message).toContain('line 2');
  });

  it('refuses an empty file and a header without rows', () => {
    expect(errorOf(() => parseTraceCsv('')).message).toMatch(/empty/);
    expect(errorOf(() => parseTraceCsv('TIMESTAMP\r\n')).message).toMatch(/at least one row/);
  });

  it('says when the file is missing', () => {
    const error = errorOf(() => loadTrace('/nonexistent/trace.csv'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/\/nonexistent\/trace\.csv.*no such file/);
  });

  it('loads the shipped Azure conversation trace', () => {
    const trace = loadTrace(new URL('../../traces/azure-llm-2023/conv.csv', import.meta.url).pathname);
    expect(trace.arrivalsMs.length).toBe(19_366);
    const spanMin = (trace.arrivalsMs.at(-1)! - trace.arrivalsMs[0]!) / 60_000;
    expect(spanMin).toBeCloseTo(58.4, 0);
  });

  it('reads a file written to disk', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-trace-'));
    const file = path.join(dir, 't.csv');
    writeFileSync(file, 'timestamp\n0\n0.5\n');
    expect(loadTrace(file).arrivalsMs).toEqual([0, 500]);
  });
});
