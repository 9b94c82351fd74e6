import { FerryError } from '../core/errors.js';
import { parseDateTime } from './datetime.js';

/**
 * A trace CSV as read: either arrival times (a `timestamp` column) or per-interval counts
 * (a `count` column). `arrivalsOf` and `countsOf` (binning.ts) turn either into the other.
 */
export type TraceCsv = ArrivalsCsv | CountsCsv;

export interface ArrivalsCsv {
  kind: 'arrivals';
  /** How the column was written: date-times, or numbers of seconds. */
  format: 'datetime' | 'seconds';
  /** The column's name as written in the header. */
  column: string;
  /** Arrival times, ascending, in ms after `originMs` (only differences matter to ferry). */
  arrivalsMs: number[];
  /**
   * Epoch ms of arrival time 0: for date-times the whole second of the earliest row (kept
   * apart so that a 7-digit fraction survives; epoch ms in a double resolve only ~0.2 us);
   * 0 for seconds (whatever origin the numbers have).
   */
  originMs: number;
}

export interface CountsCsv {
  kind: 'counts';
  column: string;
  /** Requests per interval, in order; the interval length is not in the file. */
  counts: number[];
}

const invalid = (message: string) => new FerryError('INVALID_ARGUMENT', message);
const secondsPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const countPattern = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const dateTimeExample = 'a date-time like 2023-11-16 18:15:46.6805900';

/**
 * The one grammar of ferry's trace CSVs (loadgen, detect, trace stats, the simulator):
 * - a header row, then one row per request (or per interval); blank lines are skipped;
 *   CRLF, a byte-order mark and a missing final newline are fine; cells are split on commas
 *   (no quoting inside cells; surrounding quotes and spaces are dropped);
 * - a `count` column (any case): per-interval counts, numbers >= 0, in time order; or else
 * - a `timestamp` column (any case): per request, either numbers of seconds or date-times
 *   (`2023-11-16 18:15:46.6805900`, `T` or space, fraction of any length kept, optional `Z`
 *   or offset `+hh:mm`/`-hhmm`/`+hh`, UTC without one; see datetime.ts). The first row
 *   decides which, and every row must be the same. Impossible dates (2023-02-30, 25:00)
 *   are refused. Rows are sorted by time (a merged trace may not be).
 * When both columns exist, `count` is the data (a `timestamp` then labels intervals).
 * Errors are INVALID_ARGUMENT and name `source` and the line (1 = the first line).
 */
export function parseTraceCsv(text: string, source = 'trace'): TraceCsv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) throw invalid(`Expected ${source} to hold a CSV header and rows, got an empty file`);
  const header = splitRow(lines[headerIndex]!);
  const lower = header.map((name) => name.toLowerCase());
  const countColumn = lower.indexOf('count');
  const column = countColumn >= 0 ? countColumn : lower.indexOf('timestamp');
  if (column < 0) {
    throw invalid(`Expected ${source} to have a \`timestamp\` column (arrival times: seconds or date-times) or a \`count\` column ` +
      `(per-interval counts), got the header "${lines[headerIndex]!.trim()}"`);
  }
  const name = header[column]!;
  const rows: { cell: string; where: string }[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const where = `${source} line ${i + 1}`;
    const cell = splitRow(line)[column];
    if (cell === undefined || cell === '') throw invalid(`Expected ${where} to have a value in column ${column + 1} ("${name}"), got "${line.trim()}"`);
    rows.push({ cell, where });
  }
  if (rows.length === 0) throw invalid(`Expected ${source} to hold at least one row after the header, got none`);
  if (countColumn >= 0) return { kind: 'counts', column: name, counts: rows.map((row) => parseCount(row.cell, row.where, name)) };
  return parseArrivals(rows, name);
}

function parseCount(cell: string, where: string, name: string): number {
  const count = countPattern.test(cell) ? Number(cell) : Number.NaN;
  if (!Number.isFinite(count)) throw invalid(`Expected ${where} to hold a count of 0 or more in "${name}", got "${cell}"`);
  return count;
}

function parseArrivals(rows: readonly { cell: string; where: string }[], name: string): ArrivalsCsv {
  const format: ArrivalsCsv['format'] = secondsPattern.test(rows[0]!.cell) ? 'seconds' : 'datetime';
  if (format === 'seconds') {
    const arrivalsMs = rows.map(({ cell, where }) => {
      const seconds = secondsPattern.test(cell) ? Number(cell) : Number.NaN;
      if (!Number.isFinite(seconds)) throw invalid(`Expected ${where} to hold a number of seconds in "${name}" (as the rows before it), got "${cell}"`);
      return seconds * 1000;
    });
    return { kind: 'arrivals', format, column: name, arrivalsMs: arrivalsMs.sort((a, b) => a - b), originMs: 0 };
  }
  const wholeMs = new Array<number>(rows.length);
  const fractionMs = new Array<number>(rows.length);
  let originMs = Number.POSITIVE_INFINITY;
  rows.forEach(({ cell, where }, i) => {
    const parts = parseDateTime(cell);
    if ('invalid' in parts) {
      const expected = i === 0 ? `a number of seconds or ${dateTimeExample}` : `${dateTimeExample} (as the rows before it)`;
      throw invalid(`Expected ${where} to hold ${expected} in "${name}", got "${cell}"${parts.invalid ? ` (${parts.invalid})` : ''}`);
    }
    wholeMs[i] = parts.wholeMs;
    fractionMs[i] = parts.fractionMs;
    if (parts.wholeMs < originMs) originMs = parts.wholeMs;
  });
  const arrivalsMs = wholeMs.map((ms, i) => ms - originMs + fractionMs[i]!);
  return { kind: 'arrivals', format, column: name, arrivalsMs: arrivalsMs.sort((a, b) => a - b), originMs };
}

function splitRow(line: string): string[] {
  return line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1').trim());
}

/**
 * Arrival times (ms) as a trace CSV that `parseTraceCsv` reads back: a `timestamp` column
 * in seconds, to the microsecond (finer than any timer ferry runs on), one row per request.
 */
export function formatTraceCsv(arrivalsMs: readonly number[]): string {
  const rows = new Array<string>(arrivalsMs.length + 1);
  rows[0] = 'timestamp';
  for (let i = 0; i < arrivalsMs.length; i++) rows[i + 1] = (arrivalsMs[i]! / 1000).toFixed(6);
  return `${rows.join('\n')}\n`;
}
