import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  changePointDetectorNames, createChangePointDetector, isChangePointDetectorName, type ChangePointDetectorName,
} from '../core/change-point/detectors.js';
import { FerryError } from '../core/errors.js';

/** The `--json` contract other tools rely on: index = interval index, timeS = index x intervalS. */
export interface DetectOutput {
  changePoints: { index: number; timeS: number }[];
}

export interface DetectFlags {
  series: string;
  intervalS: number;
  detector: ChangePointDetectorName;
  retune?: boolean;
  json?: boolean;
}

export interface CountSeriesFile {
  counts: number[];
  /** Which column the counts came from: `count` as is, or `timestamp` binned. */
  column: 'count' | 'timestamp';
}

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('change points of the arrival rate in a CSV of per-interval counts (column count) or of arrival times (column timestamp)')
    .requiredOption('--series <file>', 'CSV with a `count` column, or a `timestamp` column in seconds or as a date-time (2023-11-16 18:15:46.68, UTC)')
    .option('--interval-s <s>', 'interval length in seconds (arrival times are binned into it)', positiveNumber('--interval-s'), 1)
    .option('--detector <name>', `one of: ${changePointDetectorNames.join(', ')}`, detectorName, 'bocpd' as ChangePointDetectorName)
    .option('--retune', 'report only the changes that pass the re-tuning trigger (60 intervals apart, rate changed by 30% or more)')
    .option('--json', 'print { "changePoints": [ { "index", "timeS" } ] }')
    .action(async (flags: DetectFlags) => {
      await runDetect(flags, (line) => console.log(line));
    });
}

/** What `ferry detect` does, printing through `print` (one call per line or JSON document). */
export async function runDetect(flags: DetectFlags, print: (text: string) => void): Promise<DetectOutput> {
  const series = await readCountSeries(flags.series, flags.intervalS);
  const output = detectChangePoints(series.counts, flags.detector, flags.intervalS, flags.retune ?? false);
  if (flags.json) print(JSON.stringify(output, null, 2));
  else printHuman(flags, series, output, print);
  return output;
}

export function detectChangePoints(counts: readonly number[], detector: ChangePointDetectorName, intervalS: number, retune = false): DetectOutput {
  const instance = createChangePointDetector(detector, retune ? {} : undefined);
  const changePoints: DetectOutput['changePoints'] = [];
  for (const count of counts) {
    const result = instance.update(count);
    if (result.changed) {
      const index = result.changeIndex ?? result.index;
      changePoints.push({ index, timeS: Math.round(index * intervalS * 1e6) / 1e6 });
    }
  }
  return { changePoints };
}

export async function readCountSeries(file: string, intervalS: number): Promise<CountSeriesFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FerryError('INVALID_ARGUMENT', `Cannot read --series ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`, { cause: error });
  }
  return parseCountSeries(text, file, intervalS);
}

/** Parses the CSV text of `readCountSeries` (`file` names it in errors). Lines may end in \n or \r\n; a last newline is optional. */
export function parseCountSeries(text: string, file: string, intervalS: number): CountSeriesFile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerAt = lines.findIndex((line) => line.trim() !== '');
  if (headerAt < 0) throw new FerryError('INVALID_ARGUMENT', `Expected ${file} to be a CSV with a header line, got an empty file`);
  const header = splitCsvLine(lines[headerAt]!).map((name) => name.toLowerCase());
  let column = header.indexOf('count');
  const kind: CountSeriesFile['column'] = column >= 0 ? 'count' : 'timestamp';
  if (column < 0) column = header.indexOf('timestamp');
  if (column < 0) {
    throw new FerryError('INVALID_ARGUMENT', `Expected ${file} to have a \`count\` or \`timestamp\` column, got the header "${lines[headerAt]!.trim()}"`);
  }
  const values: number[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const cell = splitCsvLine(line)[column];
    const where = `${file} line ${i + 1}`;
    if (cell === undefined) throw new FerryError('INVALID_ARGUMENT', `${where}: expected a value in column ${column + 1} (${kind}), got only ${splitCsvLine(line).length} columns`);
    if (kind === 'count') {
      const count = Number(cell);
      if (cell === '' || !Number.isFinite(count) || count < 0) throw new FerryError('INVALID_ARGUMENT', `${where}: expected a count of 0 or more, got "${cell}"`);
      values.push(count);
    } else {
      const seconds = parseTimestampS(cell);
      if (seconds === undefined) {
        throw new FerryError('INVALID_ARGUMENT', `${where}: expected a timestamp in seconds or a date-time like 2023-11-16 18:15:46.6805900, got "${cell}"`);
      }
      values.push(seconds);
    }
  }
  if (values.length === 0) throw new FerryError('INVALID_ARGUMENT', `Expected ${file} to hold data lines after its header, got none`);
  return { counts: kind === 'count' ? values : binArrivals(values, intervalS), column: kind };
}

/** Arrival times (seconds, any order) -> counts per interval, the first interval starting at the earliest arrival. */
export function binArrivals(timesS: readonly number[], intervalS: number): number[] {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const t of timesS) {
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const intervals = Math.floor((last - first) / intervalS) + 1;
  if (!(intervals <= maxIntervals)) {
    throw new FerryError('INVALID_ARGUMENT', `Expected the arrivals to span at most ${maxIntervals} intervals of ${intervalS} s, got ${last - first} s`);
  }
  const counts = new Array<number>(intervals).fill(0);
  for (const t of timesS) counts[Math.min(intervals - 1, Math.floor((t - first) / intervalS))]! += 1;
  return counts;
}

const maxIntervals = 50_000_000;

const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Seconds since the epoch: a plain number of seconds, or a date-time (UTC unless it carries Z or an offset). */
export function parseTimestampS(text: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  const match = dateTimePattern.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  // Date.UTC rolls over bad fields (month 13, 25:00); a real date-time survives the round trip.
  const check = new Date(ms);
  if (check.getUTCMonth() !== Number(month) - 1 || check.getUTCDate() !== Number(day) || check.getUTCHours() !== Number(hour) || check.getUTCMinutes() !== Number(minute) || check.getUTCSeconds() !== Number(second)) {
    return undefined;
  }
  let offsetS = 0;
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.replace(':', '');
    offsetS = (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 3600 + Number(digits.slice(3, 5)) * 60);
  }
  return ms / 1000 + (fraction === undefined ? 0 : Number(`0${fraction}`)) - offsetS;
}

function splitCsvLine(line: string): string[] {
  return line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1').trim());
}

function printHuman(flags: DetectFlags, series: CountSeriesFile, output: DetectOutput, print: (line: string) => void): void {
  const { counts } = series;
  const source = series.column === 'count' ? 'counts' : 'arrival times binned';
  const n = output.changePoints.length;
  print(`${flags.series}: ${counts.length} intervals of ${flags.intervalS} s (${source}), ${flags.detector}${flags.retune ? ' + re-tuning trigger' : ''}: ${n} change point${n === 1 ? '' : 's'}`);
  if (n > 0) {
    print('');
    print('    #  interval       time   rate before -> after (req/s, segment means)');
    const bounds = [0, ...output.changePoints.map((c) => c.index), counts.length];
    const rate = (from: number, to: number) => (to > from ? meanOf(counts, from, to) / flags.intervalS : 0);
    output.changePoints.forEach((change, i) => {
      const before = rate(bounds[i]!, bounds[i + 1]!);
      const after = rate(bounds[i + 1]!, bounds[i + 2]!);
      print(`${String(i + 1).padStart(5)}  ${String(change.index).padStart(8)}  ${formatTime(change.timeS).padStart(9)}   ${before.toFixed(2)} -> ${after.toFixed(2)}`);
    });
  }
  if (counts.length > 1) {
    print('');
    for (const line of sparkline(counts, output.changePoints.map((c) => c.index), flags.intervalS)) print(line);
  }
}

/** Counts as one row of block characters (bucket means, at most 72 columns) with ^ under the buckets holding a change point. */
export function sparkline(counts: readonly number[], changeIndices: readonly number[], intervalS: number, width = 72): string[] {
  const bucket = Math.ceil(counts.length / width);
  const columns = Math.ceil(counts.length / bucket);
  const means = Array.from({ length: columns }, (_, c) => meanOf(counts, c * bucket, Math.min(counts.length, (c + 1) * bucket)));
  const max = Math.max(...means);
  const blocks = '▁▂▃▄▅▆▇█';
  const bar = means.map((m) => blocks[max === 0 ? 0 : Math.min(7, Math.floor((m / max) * 7.999))]).join('');
  const marks = new Array<string>(columns).fill(' ');
  for (const index of changeIndices) marks[Math.min(columns - 1, Math.floor(index / bucket))] = '^';
  return [bar, marks.join('').trimEnd(), `(one column = ${bucket} interval${bucket === 1 ? '' : 's'} = ${formatTime(bucket * intervalS)}; top = ${(max / intervalS).toFixed(2)} req/s; ^ = change point)`];
}

function meanOf(values: readonly number[], from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i]!;
  return sum / (to - from);
}

function formatTime(seconds: number): string {
  if (seconds < 60) return `${Number(seconds.toFixed(3))} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${String(rest).padStart(2, '0')}s` : `${m}m${String(rest).padStart(2, '0')}s`;
}

function positiveNumber(flag: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new FerryError('INVALID_ARGUMENT', `Expected ${flag} to be a positive number of seconds, got "${text}"`);
    return value;
  };
}

function detectorName(text: string): ChangePointDetectorName {
  if (!isChangePointDetectorName(text)) {
    throw new FerryError('INVALID_ARGUMENT', `Expected --detector to be one of ${changePointDetectorNames.join(', ')}, got "${text}"`);
  }
  return text;
}
