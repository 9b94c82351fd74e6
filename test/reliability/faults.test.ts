/**
 * Issue 12, suite 1: faults under an open-loop load, on the real stack (gateway, embedded
 * runtime, real model, real sockets on 127.0.0.1). Every accepted request must get exactly
 * one answer, within its deadline (arrival + SLO) plus the margin each scenario states,
 * and the gateway must keep serving.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive } from './harness/proc.js';
import { images, type StackConfig } from './harness/protocol.js';
import { report } from './harness/report.js';
import { baseline, baselineBoundMsOf, faultBoundMsOf, killInstances, killWorkers, throttled } from './harness/fault-scenarios.js';
import { runScenario, sleep } from './harness/scenario.js';
import { Stack } from './harness/stack-client.js';

const config: StackConfig = {
  backend: 'local', batchSize: 4, processes: 2, memoryMb: 1769, sloMs: 1000, concurrency: 2, maxQueue: 256, timeoutS: 15,
};
const faultBoundMs = faultBoundMsOf(config);

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start('faults', config);
});
afterAll(async () => {
  await stack?.stop();
});

describe('faults under load (real stack)', () => {
  it('baseline: steady load, no fault', () => baseline(stack, config, 'faults'));

  it('SIGKILL of function instance processes mid-batch', () => killInstances(stack, config, 'faults'));

  it('SIGKILL of worker processes mid-batch', () => killWorkers(stack, config, 'faults'));

  it('the runtime answering 429 for a period (another tenant holds the concurrency)', () => throttled(stack, config, 'faults'));

  it('slow cold starts (memory changed to 885 MB: new instances at half a vCPU)', async () => {
    const { after } = await runScenario(stack, {
      name: 'faults/slow-cold-starts',
      load: { ratePerS: 10, durationMs: 16_000, boundMs: faultBoundMs },
      allowed: ['QUEUE_FULL'],
      during: async () => {
        await sleep(1500);
        await stack.command({ cmd: 'memory', memoryMb: 885 });
        await sleep(9000);
        await stack.command({ cmd: 'memory', memoryMb: config.memoryMb });
        return {};
      },
    });
    expect(after.instances).toBeGreaterThan(0);
  });

  it('an invocation past its timeout (an instance stopped with SIGSTOP)', async () => {
    let stopped: number | undefined;
    const { after, before } = await runScenario(stack, {
      name: 'faults/invocation-timeout',
      load: { ratePerS: 15, durationMs: 16_000, boundMs: faultBoundMs },
      allowed: ['INVOCATION_FAILED', 'QUEUE_FULL'],
      during: async () => {
        await sleep(2000);
        stopped = (await stack.command<number | null>({ cmd: 'kill', target: 'instance', withinMs: 5000, signal: 'SIGSTOP' })) ?? undefined;
        return { 'stopped instance': stopped ?? 'none found busy' };
      },
    });
    expect(after.timedOut - before.timedOut).toBe(1);
    expect(alive(stopped!)).toBe(false);
  });

  it('the embedded runtime restarted under the gateway (while an invocation runs on it)', async () => {
    const { after, before } = await runScenario(stack, {
      name: 'faults/runtime-restart',
      load: { ratePerS: 15, durationMs: 16_000, boundMs: faultBoundMs },
      allowed: ['INVOCATION_FAILED', 'QUEUE_FULL'],
      during: async () => {
        await sleep(3000);
        await stack.command({ cmd: 'restart-runtime' });
        return {};
      },
    });
    // The invocation that ran on the old runtime died with it, and its items were retried on the new one.
    expect(after.exitErrors - before.exitErrors).toBeGreaterThanOrEqual(1);
  });

  it('clients that disconnect while their item waits in a batch', async () => {
    const before = await stack.quiesce();
    const body = JSON.stringify({ inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [images.dunes] }] });
    const port = Number(new URL(stack.url).port);
    const leaving = 30;
    const leave = () => new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`POST /v2/models/mobilenetv2/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
      socket.on('error', () => resolve());
    });
    const outcome = await runScenario(stack, {
      name: 'faults/client-disconnects',
      // A light load: batches wait for their deadline, so a leaving client's item is still queued.
      load: { ratePerS: 3, durationMs: 10_000, boundMs: baselineBoundMsOf(config) },
      during: async () => {
        for (let i = 0; i < leaving; i++) {
          await leave();
          await sleep(200);
        }
        return {};
      },
    });
    const withdrawn = outcome.after.withdrawn - before.withdrawn;
    const invoked = (outcome.after.itemsInvoked.dunes ?? 0) - (before.itemsInvoked.dunes ?? 0);
    report('faults/client-disconnects (leaving clients)', undefined, outcome.server, {
      'leaving clients': leaving, 'their items withdrawn before being sent': withdrawn, 'their items already sent (answer dropped)': invoked,
    });
    expect(withdrawn).toBeGreaterThan(0);
    // Each leaving client's item was either withdrawn (never invoked) or had been sent: never both, never neither.
    expect(withdrawn + invoked).toBe(leaving);
  });
});
