import { expect } from 'vitest';
import type { StackConfig } from './protocol.js';
import { repeatUntil, runScenario, sleep } from './scenario.js';
import type { Stack } from './stack-client.js';

/**
 * The fault scenarios that run on both backends: the embedded runtime called in-process,
 * and the same runtime through its Lambda API and the AWS SDK (`--backend lambda`).
 */

/** One invocation's worst case as the gateway waits for it: the function timeout plus the gateway's 2 s. */
export const invocationTimeoutMsOf = (config: StackConfig) => config.timeoutS * 1000 + 2000;

/** Tries per item (the dispatcher's default), the first included. */
export const maxAttempts = 3;

/**
 * The margin of a fault: an item whose invocation died is retried, after at most 150 ms
 * of backoff in all, on an instance that may have to start cold. Each of its 3 tries
 * may take up to one invocation timeout, so it is answered within 3 invocation timeouts
 * (plus a second) of its deadline: the bound ferry can state, far above what is typical.
 */
export const faultBoundMsOf = (config: StackConfig) => config.sloMs + maxAttempts * invocationTimeoutMsOf(config) + 1000;

/**
 * No fault: within the SLO plus 2 s. The 2 s are not the gateway's: they are what a
 * 2-core machine shared with other work adds now and then (the figures say how much).
 */
export const baselineBoundMsOf = (config: StackConfig) => config.sloMs + 2000;

/** A full queue is refused (503 QUEUE_FULL, Retry-After) while a fault halves capacity: an explicit answer too. */
const overflow = 'QUEUE_FULL';

/** Kills a process of a busy instance (from inside the stack) and says whether it held items, by `evidence` growing. */
async function killHolding(stack: Stack, target: 'instance' | 'worker', evidence: () => Promise<number>): Promise<boolean> {
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

export async function baseline(stack: Stack, config: StackConfig, prefix: string): Promise<void> {
  await runScenario(stack, { name: `${prefix}/baseline`, load: { ratePerS: 20, durationMs: 8000, boundMs: baselineBoundMsOf(config) } });
}

/** SIGKILL of three instance processes that were running a batch. */
export async function killInstances(stack: Stack, config: StackConfig, prefix: string): Promise<void> {
  let kills = { hits: 0, tries: 0 };
  const { after, before } = await runScenario(stack, {
    name: `${prefix}/kill-instances`,
    load: { ratePerS: 20, durationMs: 16_000, boundMs: faultBoundMsOf(config) },
    allowed: ['INVOCATION_FAILED', overflow],
    during: async () => {
      await sleep(2000);
      kills = await repeatUntil(3, 10, async () => {
        const held = await killHolding(stack, 'instance', async () => (await stack.stats()).exitErrors);
        await sleep(2500);
        return held;
      });
      return { 'kills that held items': `${kills.hits} of ${kills.tries}` };
    },
  });
  expect(kills.hits).toBe(3);
  expect(after.exitErrors - before.exitErrors).toBeGreaterThanOrEqual(3);
}

/** SIGKILL of three worker processes seen running a sub-batch. */
export async function killWorkers(stack: Stack, config: StackConfig, prefix: string): Promise<void> {
  let kills = { hits: 0, tries: 0 };
  const { after, before } = await runScenario(stack, {
    name: `${prefix}/kill-workers`,
    load: { ratePerS: 30, durationMs: 14_000, boundMs: faultBoundMsOf(config) },
    allowed: ['WORKER_CRASHED', overflow],
    during: async () => {
      await sleep(2000);
      kills = await repeatUntil(3, 10, async () => {
        const held = await killHolding(stack, 'worker', async () => (await stack.stats()).crashedItems);
        await sleep(1500);
        return held;
      });
      return { 'kills that held items': `${kills.hits} of ${kills.tries}` };
    },
  });
  expect(kills.hits).toBe(3);
  expect(after.crashedItems - before.crashedItems).toBeGreaterThanOrEqual(3);
}

/** The runtime answers 429: another tenant holds one slot for 3 s, then all of them for 2 s. */
export async function throttled(stack: Stack, config: StackConfig, prefix: string): Promise<void> {
  const { after, before } = await runScenario(stack, {
    name: `${prefix}/throttled`,
    load: { ratePerS: 20, durationMs: 12_000, boundMs: faultBoundMsOf(config) },
    allowed: ['THROTTLED', overflow],
    during: async () => {
      await sleep(2000);
      const half = await stack.command<number>({ cmd: 'hold', slots: 1, ms: 3000 });
      await sleep(1000);
      const all = await stack.command<number>({ cmd: 'hold', slots: config.concurrency, ms: 2000 });
      return { 'slots held': `1 for 3 s (${half} held), then ${config.concurrency} for 2 s (${all} held)` };
    },
  });
  expect(after.throttled - before.throttled).toBeGreaterThan(0);
}
