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
import { repeatUntil, runScenario, sleep } from './harness/scenario.js';
import { Stack } from './harness/stack-client.js';

const config: StackConfig = {
  backend: 'local', batchSize: 4, processes: 2, memoryMb: 1769, sloMs: 1000, concurrency: 2, maxQueue: 256, timeoutS: 15,
};
/** One invocation's worst case as the gateway waits for it: the function timeout plus the gateway's 2 s. */
const invocationTimeoutMs = config.timeoutS * 1000 + 2000;
/**
 * The margin of a fault: an item whose invocation died is retried after at most 1 s of
 * backoff, on an instance that may have to start cold; it is answered within one
 * invocation timeout of its deadline.
 */
const faultBoundMs = config.sloMs + invocationTimeoutMs;

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start('faults', config);
});
afterAll(async () => {
  await stack?.stop();
});

interface Pids {
  pids: number[];
  busyPids: number[];
  workers: Record<string, number[]>;
}

/** Kills a process of a busy instance (from inside the stack) and says whether it held items, by `evidence` growing. */
async function killHolding(target: 'instance' | 'worker', evidence: () => Promise<number>): Promise<boolean> {
  const before = await evidence();
  const pid = await stack.command<number | null>({ cmd: 'kill', target, withinMs: 5000 });
  if (pid === null) return false;
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline) {
    if ((await evidence()) > before) return true;
    await sleep(50);
  }
  return false;
}

describe('faults under load (real stack)', () => {
  it('baseline: steady load, no fault', async () => {
    await runScenario(stack, { name: 'faults/baseline', load: { ratePerS: 20, durationMs: 8000, boundMs: config.sloMs + 1000 } });
  });

  it('SIGKILL of function instance processes mid-batch', async () => {
    let kills = { hits: 0, tries: 0 };
    const { after, before } = await runScenario(stack, {
      name: 'faults/kill-instances',
      load: { ratePerS: 20, durationMs: 16_000, boundMs: faultBoundMs },
      allowed: ['INVOCATION_FAILED'],
      during: async () => {
        await sleep(2000);
        kills = await repeatUntil(3, 10, async () => {
          const held = await killHolding('instance', async () => (await stack.stats()).exitErrors);
          await sleep(2500);
          return held;
        });
        return { 'kills that held items': `${kills.hits} of ${kills.tries}` };
      },
    });
    expect(kills.hits).toBe(3);
    expect(after.exitErrors - before.exitErrors).toBeGreaterThanOrEqual(3);
  });

  it('SIGKILL of worker processes mid-batch', async () => {
    let kills = { hits: 0, tries: 0 };
    const { after, before } = await runScenario(stack, {
      name: 'faults/kill-workers',
      load: { ratePerS: 30, durationMs: 14_000, boundMs: faultBoundMs },
      allowed: ['WORKER_CRASHED'],
      during: async () => {
        await sleep(2000);
        kills = await repeatUntil(3, 10, async () => {
          const held = await killHolding('worker', async () => (await stack.stats()).crashedItems);
          await sleep(1500);
          return held;
        });
        return { 'kills that held items': `${kills.hits} of ${kills.tries}` };
      },
    });
    expect(kills.hits).toBe(3);
    expect(after.crashedItems - before.crashedItems).toBeGreaterThanOrEqual(3);
  });

  it('the runtime answering 429 for a period (another tenant holds the concurrency)', async () => {
    const { after, before } = await runScenario(stack, {
      name: 'faults/throttled',
      load: { ratePerS: 20, durationMs: 12_000, boundMs: faultBoundMs },
      allowed: ['THROTTLED'],
      during: async () => {
        await sleep(2000);
        const half = await stack.command<number>({ cmd: 'hold', slots: 1, ms: 3000 });
        await sleep(1000);
        const all = await stack.command<number>({ cmd: 'hold', slots: config.concurrency, ms: 2000 });
        return { 'slots held': `1 for 3 s (${half} held), then ${config.concurrency} for 2 s (${all} held)` };
      },
    });
    expect(after.throttled - before.throttled).toBeGreaterThan(0);
  });

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
      allowed: ['INVOCATION_FAILED'],
      during: async () => {
        await sleep(2000);
        for (let i = 0; i < 100 && stopped === undefined; i++) {
          stopped = (await stack.command<Pids>({ cmd: 'pids' })).busyPids[0];
          if (stopped === undefined) await sleep(20);
        }
        if (stopped !== undefined) process.kill(stopped, 'SIGSTOP');
        return { 'stopped instance': stopped ?? 'none found busy' };
      },
    });
    expect(after.timedOut - before.timedOut).toBe(1);
    expect(alive(stopped!)).toBe(false);
  });

  it('the embedded runtime restarted under the gateway', async () => {
    await runScenario(stack, {
      name: 'faults/runtime-restart',
      load: { ratePerS: 15, durationMs: 16_000, boundMs: faultBoundMs },
      allowed: ['INVOCATION_FAILED', 'QUEUE_FULL'],
      during: async () => {
        await sleep(3000);
        await stack.command({ cmd: 'restart-runtime' });
        return {};
      },
    });
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
      load: { ratePerS: 3, durationMs: 10_000, boundMs: config.sloMs + 1000 },
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
