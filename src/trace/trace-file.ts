import { readFileSync } from 'node:fs';
import { FerryError } from '../core/errors.js';

/**
 * The one place src/trace/ touches the file system (everything else in it is pure, so the
 * simulator and tests can hand it text). Sync: traces are read once, at start-up.
 */
export function readTraceText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? (error as Error).message);
    throw new FerryError('INVALID_ARGUMENT', `Expected a readable trace CSV file or a gen: spec, got "${file}" (${why})`, { cause: error });
  }
}
