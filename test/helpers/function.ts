import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sampleFile } from '../../src/function/models/registry.js';

/** One cache for every test file, so the model is converted once per machine, not per test. */
export const testCacheDir = path.join(os.tmpdir(), 'ferry-test-cache');

export function sampleBase64(name: string): string {
  return readFileSync(sampleFile(name)).toString('base64');
}

export function tensorBase64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}
