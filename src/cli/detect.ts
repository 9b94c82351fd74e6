import type { Command } from 'commander';
import {
  changePointDetectorNames, createChangePointDetector, isChangePointDetectorName, type ChangePointDetectorName,
} from '../core/change-point/detectors.js';
import { FerryError } from '../core/errors.js';
import { loadCounts, type LoadedCounts } from '../trace/load.js';

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

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('change points of the arrival rate in a CSV of per-interval counts (column count) or of arrival times (column timestamp), or in a generated trace')
    .requiredOption('--series <file|spec>', 'CSV with a `count` column, or a `timestamp` column in seconds or as a date-time (2023-11-16 18:15:46.68, UTC unless it has Z or an offset); or a generator spec like "gen:step?rates-per-s=10,40&change-at-s=600&duration-s=1200&seed=1"')
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
  const series = loadCounts(flags.series, flags.intervalS);
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

function printHuman(flags: DetectFlags, series: LoadedCounts, output: DetectOutput, print: (line: string) => void): void {
  const { counts } = series;
  const source = series.from === 'counts' ? 'counts' : 'arrival times binned';
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
