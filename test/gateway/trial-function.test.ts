import { describe, expect, it } from 'vitest';
import { startServing } from '../../src/gateway/start-serving.js';
import { sleepFunctionApiForSuite, sleepFunctionDir } from '../helpers/sleep-api.js';

const secret = 'the trial-function test secret';

/**
 * `ferry serve --backend lambda --tune --tune-slice`: the trial lane is a second Lambda
 * function, which serving checks for before it starts (through the real AWS SDK client,
 * against the embedded runtime's Lambda API).
 */
describe('serving with trial lanes on --backend lambda', () => {
  // A function without a model to load: what is tested is which functions exist.
  const api = sleepFunctionApiForSuite(secret);

  const serve = () => startServing({
    models: { 'ocr-cls': { functionName: 'fn', batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: 500 } },
    backend: { kind: 'lambda', endpoint: api.endpoint, region: 'us-east-1', runtimeSecret: secret },
    concurrency: 2, warmInstances: 1, maxQueue: 16, host: '127.0.0.1', port: 0, trialLanes: true,
  });

  it('refuses to start without the trial function, naming it and the way out', async () => {
    await expect(serve()).rejects.toThrow(/Expected a Lambda function fn-trial .*ferry deploy --function fn-trial.*--tune-slice 0/);
  });

  it('starts once it is deployed', async () => {
    api.runtime.register({ name: 'fn-trial', model: 'ocr-cls', memoryMb: 1769, timeoutS: 60, handler: 'index.handler', codeDir: sleepFunctionDir });
    const serving = await serve();
    await serving.close();
  });
});
