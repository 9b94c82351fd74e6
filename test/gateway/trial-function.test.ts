import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServing } from '../../src/gateway/start-serving.js';
import type { LocalRuntime } from '../../src/platform/local/runtime.js';
import { sleepFunctionApi, sleepFunctionDir } from '../helpers/sleep-api.js';

const secret = 'the trial-function test secret';

/**
 * `ferry serve --backend lambda --tune --tune-slice`: the trial lane is a second Lambda
 * function, which serving checks for before it starts (through the real AWS SDK client,
 * against the embedded runtime's Lambda API).
 */
describe('serving with trial lanes on --backend lambda', () => {
  let runtime: LocalRuntime;
  let endpoint: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    // A function without a model to load: what is tested is which functions exist.
    ({ runtime, endpoint, close } = await sleepFunctionApi(secret));
  });
  afterAll(async () => {
    await close();
  });

  const serve = () => startServing({
    models: { 'ocr-cls': { functionName: 'fn', batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 500 } },
    backend: { kind: 'lambda', endpoint, region: 'us-east-1', runtimeSecret: secret },
    concurrency: 2, warmInstances: 1, maxQueue: 16, host: '127.0.0.1', port: 0, trialLanes: true,
  });

  it('refuses to start without the trial function, naming it and the way out', async () => {
    await expect(serve()).rejects.toThrow(/Expected a Lambda function fn-trial .*ferry deploy --function fn-trial.*--tune-slice 0/);
  });

  it('starts once it is deployed', async () => {
    runtime.register({ name: 'fn-trial', model: 'ocr-cls', memoryMb: 1769, timeoutS: 60, handler: 'index.handler', codeDir: sleepFunctionDir });
    const serving = await serve();
    await serving.close();
  });
});
