import { FerryError } from '../core/errors.js';
import {
  arrivalGenerators, type DiurnalOptions, type GeneratorKind, type MmppOptions, type PoissonOptions, type StepOptions,
} from './generators.js';

/**
 * A generated trace named by a string, accepted wherever a trace file is:
 *
 *     gen:KIND?KEY=VALUE&KEY=VALUE...
 *     gen:mmpp?rate-per-s=20&burst-rate-per-s=200&duration-s=3600&seed=1
 *
 * KIND is poisson, step, mmpp or diurnal; the keys of each are in `generatorKeys` (every
 * kind needs `duration-s` and `seed`). Values are decimal numbers; list keys take numbers
 * separated by commas (`rates-per-s=10,40,10`). Every key is checked: an unknown kind or
 * key, a key given twice, a missing one or a value that is not a number is an
 * INVALID_ARGUMENT that says which. Quote the spec in a shell (`?` and `&`).
 */
export type GeneratorSpec =
  | { kind: 'poisson'; options: PoissonOptions }
  | { kind: 'step'; options: StepOptions }
  | { kind: 'mmpp'; options: MmppOptions }
  | { kind: 'diurnal'; options: DiurnalOptions };

export const generatorSpecPrefix = 'gen:';

export interface GeneratorKey {
  name: string;
  type: 'number' | 'integer' | 'list';
  description: string;
  /** Shown in help; undefined = required (or, for mmpp, one of its two forms). */
  default?: string;
}

/** mmpp's two-state form: mean calm period and mean burst (s); bursts are short, calm spells long. */
const defaultMeanCalmS = 60;
const defaultMeanBurstS = 10;

const durationKey: GeneratorKey = { name: 'duration-s', type: 'number', description: 'length of the trace (s)' };
const seedKey: GeneratorKey = { name: 'seed', type: 'integer', description: 'seed of the random stream (required: no unseeded default)' };

/** The keys of each kind, in the order help lists them. */
export const generatorKeys: Readonly<Record<GeneratorKind, readonly GeneratorKey[]>> = {
  poisson: [{ name: 'rate-per-s', type: 'number', description: 'constant arrival rate (req/s)' }, durationKey, seedKey],
  step: [
    { name: 'rates-per-s', type: 'list', description: 'rates of the successive segments (req/s), e.g. 10,40,10' },
    { name: 'change-at-s', type: 'list', description: 'when each next segment starts (s), one fewer than the rates, e.g. 600,1200' },
    durationKey, seedKey,
  ],
  mmpp: [
    { name: 'rate-per-s', type: 'number', description: 'two states: the calm rate (req/s)' },
    { name: 'burst-rate-per-s', type: 'number', description: 'two states: the burst rate (req/s)' },
    { name: 'mean-calm-s', type: 'number', description: 'two states: mean time per calm period (s)', default: String(defaultMeanCalmS) },
    { name: 'mean-burst-s', type: 'number', description: 'two states: mean time per burst (s)', default: String(defaultMeanBurstS) },
    { name: 'rates-per-s', type: 'list', description: 'N states instead: their rates (req/s), the first is the start state' },
    { name: 'mean-sojourns-s', type: 'list', description: 'N states instead: mean time per visit of each (s)' },
    durationKey, seedKey,
  ],
  diurnal: [
    { name: 'rate-per-s', type: 'number', description: 'mean rate over a period (req/s)' },
    { name: 'amplitude', type: 'number', description: 'relative swing 0..1 around the mean', default: '0.5' },
    { name: 'period-s', type: 'number', description: 'one compressed "day" (s)', default: '3600' },
    { name: 'peak-at-s', type: 'number', description: 'time of the first peak (s)', default: 'period-s / 2' },
    durationKey, seedKey,
  ],
};

export const generatorKinds = Object.keys(arrivalGenerators) as GeneratorKind[];

export function isGeneratorSpec(text: string): boolean {
  return text.startsWith(generatorSpecPrefix);
}

/** Parses `gen:KIND?KEY=VALUE&...` (see GeneratorSpec). */
export function parseGeneratorSpec(text: string): GeneratorSpec {
  if (!isGeneratorSpec(text)) throw invalid(`Expected a generator spec like gen:poisson?rate-per-s=20&duration-s=600&seed=1, got "${text}"`);
  const body = text.slice(generatorSpecPrefix.length);
  const question = body.indexOf('?');
  const kind = question < 0 ? body : body.slice(0, question);
  const params = new Map<string, string>();
  for (const part of question < 0 ? [] : body.slice(question + 1).split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    if (equals <= 0) throw invalid(`Expected each part of ${text} after "?" to be key=value, got "${part}"`);
    const key = part.slice(0, equals);
    if (params.has(key)) throw invalid(`Expected each key once in ${text}, got ${key} twice`);
    params.set(key, part.slice(equals + 1));
  }
  return generatorSpecFromParams(kind, params, { where: text, keyLabel: (key) => key });
}

export interface ParamsContext {
  /** What the parameters came from, for messages (the spec, or a command). */
  where: string;
  /** How a key is written there (`rate-per-s` in a spec, `--rate-per-s` on a command line). */
  keyLabel(key: string): string;
}

/** Validates the parameters of a kind (text values, as in a spec or from flags) into a spec. */
export function generatorSpecFromParams(kind: string, params: ReadonlyMap<string, string>, context: ParamsContext): GeneratorSpec {
  if (!(generatorKinds as string[]).includes(kind)) {
    throw invalid(`Expected the generator kind in ${context.where} to be one of ${generatorKinds.join(', ')}, got "${kind}"`);
  }
  const kindName = kind as GeneratorKind;
  const keys = generatorKeys[kindName];
  for (const key of params.keys()) {
    if (!keys.some((k) => k.name === key)) {
      throw invalid(`Expected the keys of ${kindName} in ${context.where} to be among ${keys.map((k) => context.keyLabel(k.name)).join(', ')}, got ${context.keyLabel(key)}`);
    }
  }
  const read = new ParamReader(kindName, params, context);
  const base = { durationS: read.number('duration-s'), seed: read.integer('seed') };
  switch (kindName) {
    case 'poisson':
      return { kind: kindName, options: { ...base, ratePerS: read.number('rate-per-s') } };
    case 'step': {
      const ratesPerS = read.list('rates-per-s');
      // One rate needs no change time; say so rather than demand an empty list.
      const changeAtS = ratesPerS.length === 1 && !params.has('change-at-s') ? [] : read.list('change-at-s');
      return { kind: kindName, options: { ...base, ratesPerS, changeAtS } };
    }
    case 'mmpp':
      return { kind: kindName, options: { ...base, states: mmppStates(read, params, context) } };
    case 'diurnal':
      return {
        kind: kindName,
        options: {
          ...base, ratePerS: read.number('rate-per-s'),
          ...read.optional('amplitude', (key) => ({ amplitude: read.number(key) })),
          ...read.optional('period-s', (key) => ({ periodS: read.number(key) })),
          ...read.optional('peak-at-s', (key) => ({ peakAtS: read.number(key) })),
        },
      };
  }
}

function mmppStates(read: ParamReader, params: ReadonlyMap<string, string>, context: ParamsContext): MmppOptions['states'] {
  const twoState = ['rate-per-s', 'burst-rate-per-s', 'mean-calm-s', 'mean-burst-s'];
  const nState = ['rates-per-s', 'mean-sojourns-s'];
  const given = (names: string[]) => names.filter((name) => params.has(name));
  if (given(nState).length > 0) {
    if (given(twoState).length > 0) {
      const label = (names: string[]) => names.map(context.keyLabel).join(', ');
      throw invalid(`Expected ${context.where} to give the mmpp states either as ${label(twoState)} or as ${label(nState)}, got ${label([...given(twoState), ...given(nState)])}`);
    }
    const rates = read.list('rates-per-s');
    const sojourns = read.list('mean-sojourns-s');
    if (rates.length !== sojourns.length) {
      throw invalid(`Expected ${context.keyLabel('rates-per-s')} and ${context.keyLabel('mean-sojourns-s')} in ${context.where} to have as many values, got ${rates.length} and ${sojourns.length}`);
    }
    return rates.map((ratePerS, i) => ({ ratePerS, meanSojournS: sojourns[i]! }));
  }
  return [
    { ratePerS: read.number('rate-per-s'), meanSojournS: params.has('mean-calm-s') ? read.number('mean-calm-s') : defaultMeanCalmS },
    { ratePerS: read.number('burst-rate-per-s'), meanSojournS: params.has('mean-burst-s') ? read.number('mean-burst-s') : defaultMeanBurstS },
  ];
}

const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

class ParamReader {
  constructor(private readonly kind: GeneratorKind, private readonly params: ReadonlyMap<string, string>, private readonly context: ParamsContext) {}

  number(key: string): number {
    const text = this.text(key);
    const value = numberPattern.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(value)) throw invalid(`Expected ${this.label(key)} in ${this.context.where} to be a number, got "${text}"`);
    return value;
  }

  integer(key: string): number {
    const value = this.number(key);
    if (!Number.isSafeInteger(value)) throw invalid(`Expected ${this.label(key)} in ${this.context.where} to be an integer, got "${this.text(key)}"`);
    return value;
  }

  list(key: string): number[] {
    const text = this.text(key);
    return text.split(',').map((part) => {
      const value = numberPattern.test(part.trim()) ? Number(part.trim()) : Number.NaN;
      if (!Number.isFinite(value)) throw invalid(`Expected ${this.label(key)} in ${this.context.where} to be numbers separated by commas, got "${text}"`);
      return value;
    });
  }

  optional<T extends object>(key: string, read: (key: string) => T): T | Record<string, never> {
    return this.params.has(key) ? read(key) : {};
  }

  private text(key: string): string {
    const text = this.params.get(key);
    if (text === undefined) {
      const keys = generatorKeys[this.kind].find((k) => k.name === key)!;
      throw invalid(`Expected ${this.context.where} to set ${this.label(key)} (${keys.description}), got no value`);
    }
    return text;
  }

  private label(key: string): string {
    return this.context.keyLabel(key);
  }
}

/** The arrival times (ms from 0, ascending) a spec describes. */
export function generateArrivals(spec: GeneratorSpec): number[] {
  switch (spec.kind) {
    case 'poisson': return arrivalGenerators.poisson(spec.options);
    case 'step': return arrivalGenerators.step(spec.options);
    case 'mmpp': return arrivalGenerators.mmpp(spec.options);
    case 'diurnal': return arrivalGenerators.diurnal(spec.options);
  }
}

/** The canonical spec string (every key that was set, defaults left out), which parses back to the same spec. */
export function formatGeneratorSpec(spec: GeneratorSpec): string {
  const parts: [string, number | readonly number[] | undefined][] = [];
  const o = spec.options;
  switch (spec.kind) {
    case 'poisson': parts.push(['rate-per-s', spec.options.ratePerS]); break;
    case 'step': parts.push(['rates-per-s', spec.options.ratesPerS], ['change-at-s', spec.options.changeAtS.length > 0 ? spec.options.changeAtS : undefined]); break;
    case 'mmpp': parts.push(['rates-per-s', spec.options.states.map((s) => s.ratePerS)], ['mean-sojourns-s', spec.options.states.map((s) => s.meanSojournS)]); break;
    case 'diurnal': parts.push(['rate-per-s', spec.options.ratePerS], ['amplitude', spec.options.amplitude], ['period-s', spec.options.periodS], ['peak-at-s', spec.options.peakAtS]); break;
  }
  parts.push(['duration-s', o.durationS], ['seed', o.seed]);
  const query = parts.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  return `${generatorSpecPrefix}${spec.kind}?${query.join('&')}`;
}

const invalid = (message: string) => new FerryError('INVALID_ARGUMENT', message);
