/**
 * Issue 12, suite 6: the exactly-once promise through `--backend lambda`: the gateway's
 * LambdaInvoker (the AWS SDK v3 client) against the embedded runtime's Lambda API over
 * HTTP on 127.0.0.1, every request signed with the runtime's shared secret, under the
 * kill and 429 faults.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { baseline, killInstances, killWorkers, throttled } from './harness/fault-scenarios.js';
import type { StackConfig } from './harness/protocol.js';
import { Stack } from './harness/stack-client.js';

const config: StackConfig = {
  backend: 'lambda', batchSize: 4, processes: 2, memoryMb: 1769, sloMs: 1000, concurrency: 2, maxQueue: 256, timeoutS: 15,
  secret: 'the-suite-runtime-secret',
};

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start('lambda-backend', config);
});
afterAll(async () => {
  await stack?.stop();
});

describe('faults through --backend lambda (AWS SDK, signed, over HTTP)', () => {
  it('baseline: steady load, no fault', () => baseline(stack, config, 'lambda'));
  it('SIGKILL of function instance processes mid-batch', () => killInstances(stack, config, 'lambda'));
  it('SIGKILL of worker processes mid-batch', () => killWorkers(stack, config, 'lambda'));
  it('the runtime answering 429 for a period', () => throttled(stack, config, 'lambda'));
});
