import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createChangePointDetector, type ChangePointDetectorName } from '../core/change-point/detectors.js';
import { defaultRetuneTriggerOptions } from '../core/change-point/retune-trigger.js';
import { Rng } from '../core/random.js';
import { loadCounts } from '../trace/load.js';
import { sinusoidSeries, stationarySeries, stepSeries, type CountNoise } from '../trace/synthetic-counts.js';
import { integerOption } from '../util/options.js';
import { runDetector, scoreChangePoints } from './detect-metrics.js';

/**
 * `ferry bench detect`: the change-point detectors on synthetic counts with known change
 * points (F1, detection delay), on stationary series (false alarms per hour), and on the two
 * Azure LLM traces (how many changes; no ground truth). One interval is 1 s throughout.
 */
export interface DetectBenchOptions {
  /** Seeds per cell (step series and stationary series). @default 5 */
  seeds: number;
  /** Hours of each stationary series. @default 3 */
  hours: number;
}

export interface DetectVariant {
  name: string;
  detector: ChangePointDetectorName;
  trigger: boolean;
}

export const detectVariants: DetectVariant[] = [
  { name: 'bocpd', detector: 'bocpd', trigger: false },
  { name: 'cusum', detector: 'cusum', trigger: false },
  { name: 'bocpd + trigger', detector: 'bocpd', trigger: true },
  { name: 'cusum + trigger', detector: 'cusum', trigger: true },
];

export interface StepCell {
  variant: string;
  noise: CountNoise;
  factor: number;
  baseRate: number;
  series: number;
  changePoints: number;
  /** Mean over series of F1, precision and recall. */
  f1: number;
  precision: number;
  recall: number;
  /** Mean delay (declaration - true change), intervals = s, over matched changes; null if none matched. */
  meanDelayS: number | null;
}

export interface StationaryCell {
  variant: string;
  /** 'poisson' | 'negbin', or 'sinusoid' (negative binomial around a daily-cycle-like rate). */
  series: CountNoise | 'sinusoid';
  rate: number;
  hours: number;
  alarms: number;
  perHour: number;
}

export interface TraceCell {
  variant: string;
  trace: string;
  intervals: number;
  changes: number;
  perHour: number;
}

export interface DetectBenchResult {
  options: DetectBenchOptions;
  steps: StepCell[];
  stationary: StationaryCell[];
  traces: TraceCell[];
  elapsedS: number;
}

const noises: CountNoise[] = ['poisson', 'negbin'];
const factors = [2, 4];
const rates = [10, 20, 50, 100];
/** The daily-cycle-like series: 20 req/s +- 50%, one cycle per 2 h (a day compressed, so a 3 h series holds 1.5 cycles). */
const sinusoid = { rate: 20, amplitude: 0.5, periodS: 7200 };
const traceNames = ['code.csv', 'conv.csv'];

export async function runDetectBench(options: DetectBenchOptions, log: (line: string) => void): Promise<DetectBenchResult> {
  const startMs = performance.now();
  const makers = detectVariants.map((v) => ({ variant: v, make: () => createChangePointDetector(v.detector, v.trigger ? {} : undefined) }));

  log(`steps: ${noises.length * factors.length * rates.length} cells x ${options.seeds} seeds`);
  const steps: StepCell[] = [];
  for (const noise of noises) for (const factor of factors) for (const baseRate of rates) {
    const series = Array.from({ length: options.seeds }, (_, s) => stepSeries(new Rng(seedOf('step', noise, factor, baseRate, s)), { baseRate, factor, noise }));
    for (const { variant, make } of makers) {
      const detector = make();
      const scores = series.map((one) => scoreChangePoints(one.changePoints, runDetector(detector, one.counts), 5));
      const delays = scores.flatMap((score) => score.delays);
      steps.push({
        variant: variant.name, noise, factor, baseRate, series: series.length,
        changePoints: series.reduce((sum, one) => sum + one.changePoints.length, 0),
        f1: round3(average(scores.map((score) => score.f1))),
        precision: round3(average(scores.map((score) => score.precision))),
        recall: round3(average(scores.map((score) => score.recall))),
        meanDelayS: delays.length === 0 ? null : round2(average(delays)),
      });
    }
  }

  log(`stationary: ${noises.length * rates.length + 1} cells x ${options.seeds} seeds x ${options.hours} h`);
  const stationary: StationaryCell[] = [];
  const length = Math.round(options.hours * 3600);
  const stationaryCells: { series: CountNoise | 'sinusoid'; rate: number; make: (rng: Rng) => number[] }[] = [
    ...noises.flatMap((noise) => rates.map((rate) => ({ series: noise, rate, make: (rng: Rng) => stationarySeries(rng, { rate, noise, length }) }))),
    { series: 'sinusoid', rate: sinusoid.rate, make: (rng: Rng) => sinusoidSeries(rng, { ...sinusoid, noise: 'negbin', length, phase: rng.uniform(0, 2 * Math.PI) }) },
  ];
  for (const cell of stationaryCells) {
    const series = Array.from({ length: options.seeds }, (_, s) => cell.make(new Rng(seedOf('stationary', cell.series, 1, cell.rate, s))));
    for (const { variant, make } of makers) {
      const detector = make();
      const alarms = series.reduce((sum, counts) => sum + runDetector(detector, counts).length, 0);
      const hours = (options.seeds * length) / 3600;
      stationary.push({ variant: variant.name, series: cell.series, rate: cell.rate, hours, alarms, perHour: round2(alarms / hours) });
    }
  }

  log('real traces: traces/azure-llm-2023/code.csv, conv.csv at 1 s');
  const traces: TraceCell[] = [];
  for (const trace of traceNames) {
    const { counts } = loadCounts(tracePath(trace), 1);
    for (const { variant, make } of makers) {
      const changes = runDetector(make(), counts).length;
      traces.push({ variant: variant.name, trace, intervals: counts.length, changes, perHour: round2(changes / (counts.length / 3600)) });
    }
  }
  return { options, steps, stationary, traces, elapsedS: round2((performance.now() - startMs) / 1000) };
}

function tracePath(name: string): string {
  // dist/bench/ or src/bench/ -> the package root's traces/.
  return fileURLToPath(new URL(`../../traces/azure-llm-2023/${name}`, import.meta.url));
}

/** A distinct, reproducible seed per series. */
function seedOf(kind: string, noise: string, factor: number, rate: number, index: number): number {
  let hash = 2166136261;
  for (const ch of `${kind}/${noise}/${factor}/${rate}/${index}`) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619) >>> 0;
  return hash;
}

export function registerDetectBench(bench: Command): void {
  bench
    .command('detect')
    .description('change-point detectors: F1 and delay on planted rate steps, false alarms per hour on stationary series, counts on the Azure traces')
    .option('--seeds <n>', 'seeds per cell', integerOption('--seeds', 1, 100), 5)
    .option('--hours <h>', 'hours of each stationary series', integerOption('--hours', 1, 48), 3)
    .option('--json', 'print the result as JSON')
    .action(async (flags: { seeds: number; hours: number; json?: boolean }) => {
      const result = await runDetectBench({ seeds: flags.seeds, hours: flags.hours }, (line) => console.error(line));
      if (flags.json) console.log(JSON.stringify(result, null, 2));
      else console.log(formatDetectBench(result));
    });
}

const noiseLabel: Record<string, string> = { poisson: 'Poisson', negbin: 'neg. binomial', sinusoid: 'daily-cycle sinusoid' };

/** The Markdown report. */
export function formatDetectBench(result: DetectBenchResult): string {
  const { seeds, hours } = result.options;
  const t = defaultRetuneTriggerOptions;
  const out: string[] = [];
  const table = (header: string[], rows: string[][]) => {
    out.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`), '');
  };
  const stepCells = (variant: string, filter: (c: StepCell) => boolean) => result.steps.filter((c) => c.variant === variant && filter(c));
  const f1Of = (cells: StepCell[]) => average(cells.map((c) => c.f1));
  const delayOf = (cells: StepCell[]) => {
    const weighted = cells.filter((c) => c.meanDelayS !== null).map((c) => ({ delay: c.meanDelayS!, weight: Math.round(c.recall * c.changePoints) }));
    const weight = weighted.reduce((sum, c) => sum + c.weight, 0);
    return weight === 0 ? null : weighted.reduce((sum, c) => sum + c.delay * c.weight, 0) / weight;
  };
  const fmtDelay = (delay: number | null) => (delay === null ? '-' : delay.toFixed(1));

  out.push('## ferry bench detect', '');
  out.push(
    `Synthetic counts at 1 s intervals, ${seeds} seeds per cell. Step series: 4 segments of 200-400 s alternating base and factor x base ` +
      '(3 changes, up and down); noise Poisson, or negative binomial with variance r + r^2/10 (2x Poisson at 10 req/s, 11x at 100). ' +
      "F1 with a 5-interval margin on the estimated change start (TCPDBench's matching, without its free change at t = 0); " +
      'delay = interval of the declaration - true change, over matched changes, in intervals = seconds. ' +
      `Trigger: re-tuning trigger with min gap ${t.minGap} intervals, min effect ${t.minEffect * 100}% of the rate after the declaration vs up to ` +
      `${t.beforeWindow} intervals before the start: confirmed from ${t.minAfter} intervals after the declaration once it clears the effect by ` +
      `${t.earlyZ} standard errors, else judged on the ${t.afterWindow} intervals after it.`,
    '',
  );

  out.push('### Planted steps: F1 (margin 5), mean over series', '');
  const groups = noises.flatMap((noise) => factors.map((factor) => ({ noise, factor, label: `${noiseLabel[noise]} ${factor}x` })));
  table(['detector', ...groups.map((g) => g.label), 'all'], detectVariants.map((v) => [
    v.name, ...groups.map((g) => f1Of(stepCells(v.name, (c) => c.noise === g.noise && c.factor === g.factor)).toFixed(2)), f1Of(stepCells(v.name, () => true)).toFixed(2),
  ]));

  out.push('### Planted steps: mean detection delay, s', '');
  table(['detector', ...groups.map((g) => g.label), '2x at 20 req/s, Poisson', '2x at 20 req/s, neg. binomial'], detectVariants.map((v) => [
    v.name, ...groups.map((g) => fmtDelay(delayOf(stepCells(v.name, (c) => c.noise === g.noise && c.factor === g.factor)))),
    ...noises.map((noise) => fmtDelay(delayOf(stepCells(v.name, (c) => c.noise === noise && c.factor === 2 && c.baseRate === 20)))),
  ]));

  out.push('### 2x steps by base rate: F1 / delay s', '');
  const rateColumns = noises.flatMap((noise) => rates.map((rate) => ({ noise, rate, label: `${noise === 'poisson' ? 'P' : 'NB'} ${rate}` })));
  table(['detector', ...rateColumns.map((c) => c.label)], detectVariants.map((v) => [
    v.name, ...rateColumns.map((col) => {
      const cells = stepCells(v.name, (c) => c.noise === col.noise && c.factor === 2 && c.baseRate === col.rate);
      return `${f1Of(cells).toFixed(2)} / ${fmtDelay(delayOf(cells))}`;
    }),
  ]));

  out.push(`### False alarms per hour (${seeds} x ${hours} h per cell)`, '');
  out.push(`P = Poisson, NB = negative binomial, at a constant rate (req/s). Sinusoid: NB around ${sinusoid.rate} req/s +- ${sinusoid.amplitude * 100}%, period ${sinusoid.periodS / 3600} h, no step: ` +
    'the rate does drift by 3x, so the bare detectors may rightly report it; the trigger should not.', '');
  const faColumns = noises.flatMap((noise) => rates.map((rate) => ({ series: noise as StationaryCell['series'], rate, label: `${noise === 'poisson' ? 'P' : 'NB'} ${rate}` })));
  table(['detector', ...faColumns.map((c) => c.label), 'worst stationary', 'sinusoid'], detectVariants.map((v) => {
    const cells = faColumns.map((col) => result.stationary.find((c) => c.variant === v.name && c.series === col.series && c.rate === col.rate)!);
    const sine = result.stationary.find((c) => c.variant === v.name && c.series === 'sinusoid')!;
    return [v.name, ...cells.map((c) => c.perHour.toFixed(2)), Math.max(...cells.map((c) => c.perHour)).toFixed(2), sine.perHour.toFixed(2)];
  }));

  out.push('### Targets', '');
  table(['detector', 'F1 >= 0.9 (all steps)', 'delay <= 10 s (2x at 20 req/s: Poisson / NB)', '<= 1 false alarm/h (worst stationary)'], detectVariants.map((v) => {
    const f1 = f1Of(stepCells(v.name, () => true));
    const delays = noises.map((noise) => delayOf(stepCells(v.name, (c) => c.noise === noise && c.factor === 2 && c.baseRate === 20)));
    const worst = Math.max(...result.stationary.filter((c) => c.variant === v.name && c.series !== 'sinusoid').map((c) => c.perHour));
    const mark = (ok: boolean) => (ok ? 'yes' : 'NO');
    return [
      v.name, `${mark(f1 >= 0.9)} (${f1.toFixed(2)})`,
      `${delays.map((d) => mark(d !== null && d <= 10)).join(' / ')} (${delays.map(fmtDelay).join(' / ')})`,
      `${mark(worst <= 1)} (${worst.toFixed(2)})`,
    ];
  }));

  out.push('### Real traces at 1 s intervals: changes found (no ground truth: counts only, not accuracy)', '');
  table(['detector', ...traceNames.map((name) => {
    const cell = result.traces.find((c) => c.trace === name)!;
    return `${name} (${Math.round(cell.intervals / 60)} min)`;
  })], detectVariants.map((v) => [
    v.name, ...traceNames.map((name) => {
      const cell = result.traces.find((c) => c.variant === v.name && c.trace === name)!;
      return `${cell.changes} (${cell.perHour.toFixed(1)}/h)`;
    }),
  ]));
  out.push(`${result.elapsedS} s`);
  return out.join('\n');
}

function average(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

const round2 = (v: number) => Math.round(v * 100) / 100;
const round3 = (v: number) => Math.round(v * 1000) / 1000;
