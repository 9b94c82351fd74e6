import { readFileSync } from 'node:fs';
import { FerryError } from '../core/errors.js';

/** Request arrival times read from a trace, in milliseconds on the trace's own scale. */
export interface Trace {
  /** Arrival times, ascending (ms; only differences are meaningful). */
  arrivalsMs: number[];
  /** Which column held them and how it was read. */
  column: string;
  format: 'datetime' | 'seconds';
}

const invalid = (message: string) => new FerryError('INVALID_ARGUMENT', message);

// `2023-11-16 18:15:46.6805900` (Azure's traces: 7-digit fraction), also with a `T` or a `Z`.
const datetimePattern = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z?$/;

/** Reads a trace file (see parseTraceCsv). */
export function loadTrace(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw invalid(`Expected --trace to be a readable CSV file, got "${file}" (${why})`);
  }
  return parseTraceCsv(text, file);
}

/**
 * Parses a request-arrival trace: a CSV with a header row and a `timestamp` column (any
 * case), either date-times (`2023-11-16 18:15:46.6805900`, read as UTC so that no daylight
 * saving shift enters the gaps) or numbers of seconds. The kind is taken from the first
 * row, and every row must be the same. Blank lines are skipped; CRLF and a missing final
 * newline are fine. Rows are sorted by time (traces are, but a merged one may not be).
 * Errors name the file and the line (1 = the header).
 */
export function parseTraceCsv(text: string, source = 'trace'): Trace {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) throw invalid(`Expected ${source} to hold a CSV header and rows, got an empty file`);
  const header = splitRow(lines[headerIndex]!);
  const column = header.findIndex((name) => name.toLowerCase() === 'timestamp');
  if (column < 0) {
    throw invalid(`Expected ${source} to have a TIMESTAMP (date-time) or timestamp (seconds) column, got columns ${header.map((h) => `"${h}"`).join(', ')}`);
  }
  let format: Trace['format'] | undefined;
  const arrivalsMs: number[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const where = `${source} line ${i + 1}`;
    const cell = splitRow(line)[column];
    if (cell === undefined || cell === '') throw invalid(`Expected ${where} to have a value in column ${column + 1} ("${header[column]}"), got "${line}"`);
    format ??= datetimePattern.test(cell) ? 'datetime' : 'seconds';
    const ms = format === 'datetime' ? datetimeMs(cell) : secondsMs(cell);
    if (ms === undefined) {
      const expected = format === 'datetime' ? 'a date-time like 2023-11-16 18:15:46.6805900 (as the rows before it)' : 'a number of seconds (as the rows before it)';
      throw invalid(`Expected ${where} to hold ${expected} in "${header[column]}", got "${cell}"`);
    }
    arrivalsMs.push(ms);
  }
  if (arrivalsMs.length === 0) throw invalid(`Expected ${source} to hold at least one row after the header, got none`);
  arrivalsMs.sort((a, b) => a - b);
  return { arrivalsMs, column: header[column]!, format: format! };
}

/** Splits a CSV row (no quoting in traces; surrounding quotes and spaces are dropped). */
function splitRow(line: string): string[] {
  return line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1').trim());
}

function datetimeMs(text: string): number | undefined {
  const match = datetimePattern.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.slice(0, 7).map(Number) as number[];
  const month = mo! - 1;
  if (month < 0 || month > 11 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || s! > 60) return undefined;
  // The fraction as written ("6805900" = 0.68059 s), without losing digits to Number().
  const fractionMs = match[7] ? Number(`0.${match[7]}`) * 1000 : 0;
  return Date.UTC(y!, month, d!, h!, mi!, s!) + fractionMs;
}

function secondsMs(text: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value * 1000 : undefined;
}
