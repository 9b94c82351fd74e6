import { FerryError } from '../core/errors.js';
import { Rng } from '../core/random.js';
import { maxArrivals } from './binning.js';

/**
 * Seeded arrival-time generators. Each returns arrival times in ms from 0, ascending, in
 * [0, durationS x 1000), the same for the same options (the seed is required), and draws in
 * time order, so a shorter duration gives a prefix of a longer one with the same seed.
 * Option names map one-to-one to the keys of a `gen:` spec (generator-spec.ts), which is
 * why the messages name the keys (`rate-per-s`).
 */
export interface GeneratorBase {
  /** Length of the trace (s). */
  durationS: number;
  /** Seed of the random stream (any integer; there is no unseeded default). */
  seed: number;
}

/** Constant rate: exponential gaps. */
export interface PoissonOptions extends GeneratorBase {
  ratePerS: number;
}

/** Piecewise-constant rates: `ratesPerS[i]` from `changeAtS[i - 1]` (0 for i = 0) to the next change. */
export interface StepOptions extends GeneratorBase {
  ratesPerS: readonly number[];
  /** Change times (s), ascending, inside (0, durationS); one fewer than `ratesPerS`. */
  changeAtS: readonly number[];
}

export interface MmppState {
  /** Arrival rate while in this state (0 = off). */
  ratePerS: number;
  /** Mean of the exponential time spent in the state per visit (s). */
  meanSojournS: number;
}

/**
 * Markov-modulated Poisson process: the rate jumps between states, each held for an
 * exponential time; on leaving a state the next is one of the others, uniformly (two states
 * simply alternate). Starts in `states[0]`. Bursty on/off traffic: a calm state and a short
 * burst state at 10x its rate.
 */
export interface MmppOptions extends GeneratorBase {
  states: readonly MmppState[];
}

/**
 * A compressed daily cycle: rate(t) = ratePerS x (1 + amplitude x cos(2 pi (t - peakAtS) / periodS)),
 * sampled as a non-homogeneous Poisson process by thinning (Lewis and Shedler, 1979).
 */
export interface DiurnalOptions extends GeneratorBase {
  /** Mean rate over a period. */
  ratePerS: number;
  /** Relative swing, 0..1 (0.5: the rate goes from 0.5x to 1.5x the mean). @default 0.5 */
  amplitude?: number;
  /** One "day" (s); 3600 compresses 24 h into an hour. @default 3600 */
  periodS?: number;
  /** When the first peak comes (s); the default starts the trace at the trough ("midnight"). @default periodS / 2 */
  peakAtS?: number;
}

export function poissonArrivals(options: PoissonOptions): number[] {
  checkNumber('poisson', 'rate-per-s', options.ratePerS, 0, true);
  const { rng, endMs } = start('poisson', options, options.ratePerS);
  const out: number[] = [];
  appendPoisson(rng, options.ratePerS, 0, endMs, out);
  return out;
}

export function stepArrivals(options: StepOptions): number[] {
  const { ratesPerS, changeAtS } = options;
  if (ratesPerS.length === 0) throw invalid('Expected rates-per-s of a step trace to hold at least one rate, got none');
  ratesPerS.forEach((rate) => checkNumber('step', 'rates-per-s', rate, 0, false));
  if (changeAtS.length !== ratesPerS.length - 1) {
    throw invalid(`Expected change-at-s of a step trace to hold one time fewer than rates-per-s (${ratesPerS.length - 1}), got ${changeAtS.length}`);
  }
  const { rng, endMs } = start('step', options, Math.max(...ratesPerS));
  changeAtS.forEach((atS, i) => {
    const previousS = i === 0 ? 0 : changeAtS[i - 1]!;
    if (!(atS > previousS) || !(atS < options.durationS)) {
      throw invalid(`Expected change-at-s of a step trace to ascend strictly inside (0, duration-s = ${options.durationS}), got ${changeAtS.join(',')}`);
    }
  });
  const out: number[] = [];
  ratesPerS.forEach((rate, i) => {
    const fromMs = i === 0 ? 0 : changeAtS[i - 1]! * 1000;
    const toMs = i === changeAtS.length ? endMs : changeAtS[i]! * 1000;
    // The process is memoryless, so restarting it at each change is exact.
    appendPoisson(rng, rate, fromMs, toMs, out);
  });
  return out;
}

export function mmppArrivals(options: MmppOptions): number[] {
  const { states } = options;
  if (states.length < 2) throw invalid(`Expected an mmpp trace to have 2 or more states, got ${states.length}`);
  for (const state of states) {
    checkNumber('mmpp', 'rate-per-s', state.ratePerS, 0, false);
    checkNumber('mmpp', 'mean-sojourns-s', state.meanSojournS, 0, true);
  }
  const { rng, endMs } = start('mmpp', options, Math.max(...states.map((s) => s.ratePerS)));
  const out: number[] = [];
  let state = 0;
  for (let tMs = 0; tMs < endMs;) {
    const { ratePerS, meanSojournS } = states[state]!;
    const sojournMs = exponential(rng) * meanSojournS * 1000;
    appendPoisson(rng, ratePerS, tMs, Math.min(tMs + sojournMs, endMs), out);
    tMs += sojournMs;
    if (states.length === 2) state = 1 - state;
    else {
      const other = rng.int(states.length - 1);
      state = other >= state ? other + 1 : other;
    }
  }
  return out;
}

export function diurnalArrivals(options: DiurnalOptions): number[] {
  const amplitude = options.amplitude ?? 0.5;
  const periodS = options.periodS ?? 3600;
  const peakAtS = options.peakAtS ?? periodS / 2;
  checkNumber('diurnal', 'rate-per-s', options.ratePerS, 0, true);
  checkNumber('diurnal', 'amplitude', amplitude, 0, false, 1);
  checkNumber('diurnal', 'period-s', periodS, 0, true);
  checkNumber('diurnal', 'peak-at-s', peakAtS, 0, false);
  const peakRatePerS = options.ratePerS * (1 + amplitude);
  const { rng, endMs } = start('diurnal', options, peakRatePerS);
  const out: number[] = [];
  const peakPerMs = peakRatePerS / 1000;
  const radiansPerMs = (2 * Math.PI) / (periodS * 1000);
  for (let tMs = exponential(rng) / peakPerMs; tMs < endMs; tMs += exponential(rng) / peakPerMs) {
    const rate = options.ratePerS * (1 + amplitude * Math.cos(radiansPerMs * (tMs - peakAtS * 1000)));
    if (rng.next() * peakRatePerS < rate) out.push(tMs);
  }
  return out;
}

/** The generators by kind (the names of `gen:KIND` specs). */
export const arrivalGenerators = {
  poisson: poissonArrivals,
  step: stepArrivals,
  mmpp: mmppArrivals,
  diurnal: diurnalArrivals,
} as const;

export type GeneratorKind = keyof typeof arrivalGenerators;

/** Arrivals of a Poisson process at `ratePerS` in [fromMs, toMs), appended to `out`. */
function appendPoisson(rng: Rng, ratePerS: number, fromMs: number, toMs: number, out: number[]): void {
  if (ratePerS === 0) return;
  const ratePerMs = ratePerS / 1000;
  for (let tMs = fromMs + exponential(rng) / ratePerMs; tMs < toMs; tMs += exponential(rng) / ratePerMs) out.push(tMs);
}

/** Exp(1): -ln(1 - u) with u in [0, 1), so the log is finite. */
function exponential(rng: Rng): number {
  return -Math.log(1 - rng.next());
}

/** Checks the duration, the seed and the expected size; the seeded stream. */
function start(kind: string, options: GeneratorBase, peakRatePerS: number): { rng: Rng; endMs: number } {
  checkNumber(kind, 'duration-s', options.durationS, 0, true, 31_536_000);
  if (!Number.isSafeInteger(options.seed)) throw invalid(`Expected the seed of a ${kind} trace to be an integer, got ${options.seed}`);
  const expected = peakRatePerS * options.durationS;
  if (expected > maxArrivals) {
    throw invalid(`Expected a ${kind} trace of at most ${maxArrivals} arrivals (peak rate x duration-s), got ${Math.round(expected)}`);
  }
  return { rng: new Rng(options.seed), endMs: options.durationS * 1000 };
}

function checkNumber(kind: string, key: string, value: number, min: number, exclusiveMin: boolean, max = Number.POSITIVE_INFINITY): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max;
  if (!ok) {
    const range = `${exclusiveMin ? 'above' : 'at least'} ${min}${Number.isFinite(max) ? ` and at most ${max}` : ''}`;
    throw invalid(`Expected ${key} of a ${kind} trace to be a number ${range}, got ${String(value)}`);
  }
}

const invalid = (message: string) => new FerryError('INVALID_ARGUMENT', message);
