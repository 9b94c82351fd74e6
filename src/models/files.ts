import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FerryError } from '../core/errors.js';
import { modelInfo } from './catalog.js';
import { parseProfile, type Profile } from './profile.js';

/** A file in ferry's own samples/ folder (the same depth from src/ and dist/). */
export function sampleFile(name: string): string {
  return fileURLToPath(new URL(`../../samples/${name}`, import.meta.url));
}

/** The profile shipped for a model in profiles/. */
export function shippedProfileFile(model: string): string {
  return fileURLToPath(new URL(`../../profiles/${modelInfo(model).profileFile}`, import.meta.url));
}

/** Reads a `ferry profile --json` file (or, with none given, the one shipped for `model`). */
export function loadProfile(model: string, file: string = shippedProfileFile(model)): Profile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FerryError('INVALID_ARGUMENT', `Expected --profile to be a readable ferry profile JSON file, got "${file}" (${code === 'ENOENT' ? 'no such file' : code ?? (error as Error).message})`);
  }
  const profile = parseProfile(text, file);
  if (profile.model !== model) throw new FerryError('INVALID_ARGUMENT', `Expected ${file} to profile ${model}, got a profile of ${profile.model}`);
  return profile;
}
