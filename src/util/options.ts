import { FerryError } from '../core/errors.js';

// Parsers of command-line option values, for src/cli/ and for src/bench/ (whose benchmarks
// register their own subcommands and must not import from src/cli/).

/** Parses "1,2,4" into [1, 2, 4], each checked against [min, max]. */
export function numberList(flag: string, min: number, max: number, integer = true): (text: string) => number[] {
  return (text) => {
    const values = text.split(',').map((part) => Number(part.trim()));
    for (const value of values) {
      if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
        throw new FerryError('INVALID_ARGUMENT', `Expected ${flag} to be a comma-separated list of ${integer ? 'integers' : 'numbers'} in ${min}..${max}, got "${text}"`);
      }
    }
    return values;
  };
}

export function integerOption(flag: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new FerryError('INVALID_ARGUMENT', `Expected ${flag} to be an integer in ${min}..${max}, got "${text}"`);
    }
    return value;
  };
}

/** Parses a number option within [min, max] (`exclusiveMin`: strictly above min). */
export function numberOption(flag: string, min: number, max: number, exclusiveMin = false): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || (exclusiveMin ? value <= min : value < min) || value > max) {
      const range = exclusiveMin ? `above ${min} and at most ${max}` : `in ${min}..${max}`;
      throw new FerryError('INVALID_ARGUMENT', `Expected ${flag} to be a number ${range}, got "${text}"`);
    }
    return value;
  };
}
