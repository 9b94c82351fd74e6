import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { createLambdaApi, listen } from '../../src/platform/local/lambda-api.js';
import { LocalRuntime } from '../../src/platform/local/runtime.js';
import { testCacheDir } from './function.js';

/** The fixture function without a model to load: for tests of what is in front of a function. */
export const sleepFunctionDir = fileURLToPath(new URL('../fixtures/sleep-function', import.meta.url));

/**
 * The embedded runtime with one sleep function named `fn`, behind its Lambda API on
 * 127.0.0.1 (signed with `secret`), for the enclosing suite: started before its tests,
 * closed after them. The fields are set once the suite's tests run.
 */
export function sleepFunctionApiForSuite(secret: string): { runtime: LocalRuntime; endpoint: string } {
  const api = {} as { runtime: LocalRuntime; endpoint: string };
  let server: Server | undefined;
  beforeAll(async () => {
    api.runtime = new LocalRuntime({
      functions: [{ name: 'fn', model: 'ocr-cls', memoryMb: 1769, timeoutS: 60, handler: 'index.handler', codeDir: sleepFunctionDir }],
      cacheDir: testCacheDir, initTimeoutMs: 30_000, concurrency: 2,
    });
    server = createLambdaApi(api.runtime, { secret });
    api.endpoint = `http://127.0.0.1:${(await listen(server, 0)).port}`;
  });
  afterAll(async () => {
    server?.close();
    await api.runtime?.close();
  });
  return api;
}
