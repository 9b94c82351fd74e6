import { FerryError } from '../core/errors.js';

/** One trace of the cost matrix: a CSV file or a generator spec, replayed at a time scale. */
export interface CostTrace {
  /** Short name for tables and `--traces` (conv@20, mmpp). */
  name: string;
  /** A trace file or a `gen:` spec, as `ferry simulate --trace` takes. */
  trace: string;
  timeScale: number;
}

const shipped: Record<string, string> = {
  conv: 'traces/azure-llm-2023/conv.csv',
  code: 'traces/azure-llm-2023/code.csv',
};

/**
 * Generated traces of an hour each, seeded, whose rates run from about 2 to 100 req/s: at
 * the low end a batch barely fills within an SLO (batching saves little, per-request
 * fees and fill time dominate), at the high end it fills at once.
 */
export const generatedCostTraces: Record<string, string> = {
  // Four plateaus, each 15 minutes: 2, 50, 10 and 100 req/s.
  step: 'gen:step?rates-per-s=2,50,10,100&change-at-s=900,1800,2700&duration-s=3600&seed=3',
  // Calm spells of 5 req/s (2 minutes on average) and bursts of 100 (30 s on average).
  mmpp: 'gen:mmpp?rates-per-s=5,100&mean-sojourns-s=120,30&duration-s=3600&seed=7',
  // A day compressed into the hour: 2 req/s at "midnight", 98 at noon.
  diurnal: 'gen:diurnal?rate-per-s=50&amplitude=0.96&period-s=3600&duration-s=3600&seed=5',
};

/**
 * Traces kept aside: changes to the tuner are chosen on the default matrix and judged here
 * afterwards (`--traces holdout`), so that a figure measured on them is not one the
 * changes were fitted to. Other levels, seeds and shapes than the generated ones above,
 * and the shipped traces at a time scale the matrix does not use.
 */
export const holdoutCostTraces: Record<string, string> = {
  // Four plateaus, each 15 minutes, in another order: 20, 4, 80 and 30 req/s.
  'step-b': 'gen:step?rates-per-s=20,4,80,30&change-at-s=900,1800,2700&duration-s=3600&seed=13',
  // Three states: 3 req/s (5 minutes on average), 40 (1 minute) and 150 (20 s).
  'mmpp-b': 'gen:mmpp?rates-per-s=3,40,150&mean-sojourns-s=300,60,20&duration-s=3600&seed=17',
  // Two half-hour "days": 2.5 to 47.5 req/s.
  'diurnal-b': 'gen:diurnal?rate-per-s=25&amplitude=0.9&period-s=1800&duration-s=3600&seed=19',
};

/** The matrix of issue 11: both shipped traces at 1x and 20x, and the three generated ones. */
export const defaultCostTraceNames: readonly string[] = ['conv@1', 'conv@20', 'code@1', 'code@20', 'step', 'mmpp', 'diurnal'];

/** `--traces holdout`: the held-out generated traces, and the shipped ones at 5x. */
export const holdoutCostTraceNames: readonly string[] = ['conv@5', 'code@5', ...Object.keys(holdoutCostTraces)];

/**
 * `conv@20` (a shipped trace at a time scale), `mmpp` (a generated one), `FILE@K` or
 * `gen:...` (any trace `ferry simulate` takes, at 1x unless `@K` ends it).
 */
export function parseCostTrace(text: string): CostTrace {
  const at = /^(.*)@([0-9]+(?:\.[0-9]+)?)$/.exec(text);
  const base = at ? at[1]! : text;
  const timeScale = at ? Number(at[2]) : 1;
  if (!(timeScale > 0)) throw new FerryError('INVALID_ARGUMENT', `Expected the time scale after @ in "${text}" to be above 0, got ${at?.[2]}`);
  if (base === '') throw new FerryError('INVALID_ARGUMENT', `Expected a trace name, file or gen: spec before @ in "${text}", got none`);
  const trace = shipped[base] ?? generatedCostTraces[base] ?? holdoutCostTraces[base] ?? base;
  return { name: text, trace, timeScale };
}

/**
 * `--traces` entries: each is one trace, or several separated by commas (a `gen:` spec is
 * always one entry: its lists hold commas); `holdout` stands for the held-out set.
 */
export function parseCostTraces(entries: readonly string[]): CostTrace[] {
  const names = entries
    .flatMap((entry) => (entry.startsWith('gen:') ? [entry] : entry.split(',').map((n) => n.trim()).filter((n) => n.length > 0)))
    .flatMap((name) => (name === 'holdout' ? [...holdoutCostTraceNames] : [name]));
  if (names.length === 0) throw new FerryError('INVALID_ARGUMENT', 'Expected --traces to name at least one trace, got none');
  return names.map(parseCostTrace);
}
