import type { BayesOptOptions } from '../core/bayes-opt.js';
import { FerryError } from '../core/errors.js';

/**
 * The optimizer's settings that `ferry bench tuner --optimizer JSON` may change, and their
 * types: what a before-and-after figure in BENCHMARKS.md needs (e.g. the optimizer without
 * the feasibility trend) from the command line rather than from a script.
 */
const settingTypes = {
  initialPoints: 'number', minFeasibleProbability: 'number', xi: 'number', linearTrend: 'boolean',
  stopWindow: 'number', stopImprovement: 'number', minEvaluations: 'number', maxHistory: 'number',
  costClampFrom: ['all', 'feasible'], sloDominance: 'boolean', neighbourExemption: 'boolean',
  feasibilityMinStd: 'number', missSlackCap: 'number', cliffBrackets: 'boolean', feasibilityTrend: 'boolean',
  uncappedMissesBeforePass: 'boolean', processInput: 'boolean', designMaxMemoryMb: 'number', scaledNeighbours: 'boolean',
} as const satisfies Partial<Record<keyof BayesOptOptions, 'number' | 'boolean' | readonly string[]>>;

type Setting = keyof typeof settingTypes;

/** Parses `--optimizer`'s JSON object of settings; unknown keys and wrong types are INVALID_ARGUMENT. */
export function parseOptimizerOptions(text: string): Partial<BayesOptOptions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FerryError('INVALID_ARGUMENT', `Expected --optimizer to be a JSON object, got "${text}" (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FerryError('INVALID_ARGUMENT', `Expected --optimizer to be a JSON object, got "${text}"`);
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(settingTypes, key)) {
      throw new FerryError('INVALID_ARGUMENT', `Unknown --optimizer setting "${key}"; known: ${Object.keys(settingTypes).join(', ')}`);
    }
    const type = settingTypes[key as Setting];
    const ok = typeof type === 'string' ? typeof value === type && (type !== 'number' || Number.isFinite(value)) : (type as readonly unknown[]).includes(value);
    if (!ok) throw new FerryError('INVALID_ARGUMENT', `Expected --optimizer's ${key} to be ${typeof type === 'string' ? `a ${type}` : `one of ${type.join(', ')}`}, got ${JSON.stringify(value)}`);
    options[key] = value;
  }
  return options as Partial<BayesOptOptions>;
}
