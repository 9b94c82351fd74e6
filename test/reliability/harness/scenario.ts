import { expect } from 'vitest';
import { runLoad, type LoadOptions, type LoadTally } from './load.js';
import type { StackStats } from './protocol.js';
import { ledger, report, type ScenarioResult, type ServerLedger } from './report.js';
import type { Stack } from './stack-client.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ScenarioSpec {
  name: string;
  load: Omit<LoadOptions, 'url'>;
  /** Codes an answer may carry besides `ok` (explicit failures the scenario provokes). */
  allowed?: string[];
  /** Runs beside the load (the fault), returns notes for the report. */
  during?: (stack: Stack) => Promise<Record<string, unknown>>;
}

export interface ScenarioOutcome {
  result: ScenarioResult;
  tally: LoadTally;
  server: ServerLedger;
  before: StackStats;
  after: StackStats;
}

/**
 * One scenario on a running stack: open-loop load with a fault beside it, then every
 * accepted request answered, then the checks every scenario shares: nothing lost, nothing
 * answered twice, every answer within its bound, only the allowed codes, and the gateway
 * still serving.
 */
export async function runScenario(stack: Stack, spec: ScenarioSpec): Promise<ScenarioOutcome> {
  const before = await stack.quiesce();
  await stack.command({ cmd: 'reset-peaks' });
  const [tally, notes] = await Promise.all([
    runLoad({ url: stack.url, ...spec.load }),
    spec.during ? spec.during(stack) : Promise.resolve(undefined),
  ]);
  const after = await stack.quiesce();
  const server = ledger(before, after);
  const refused = Object.fromEntries(Object.entries(after.refusedByCode).map(([code, n]) => [code, n - (before.refusedByCode[code] ?? 0)]).filter(([, n]) => (n as number) > 0));
  const invocations = Object.fromEntries(Object.entries(after.invocations).map(([kind, n]) => [kind, n - (before.invocations[kind] ?? 0)]).filter(([, n]) => (n as number) > 0));
  const result = report(spec.name, tally, server, {
    ...notes, 'queue peak (items)': after.queueDepthMax, ...(Object.keys(refused).length > 0 ? { 'refused at admission': refused } : {}),
    invocations,
  }, spec.load.boundMs);
  expect(stack.exited, 'the stack process is still running').toBeUndefined();
  expect(result.lost, 'lost').toBe(0);
  expect(result.duplicated, 'duplicated').toBe(0);
  expect(server.answeredOnce, 'every accepted request answered once').toBe(server.accepted);
  expect(tally.overBound, `answers later than ${spec.load.boundMs} ms`).toBe(0);
  expect(tally.retryAfterMissing, '503 QUEUE_FULL without Retry-After').toBe(0);
  const unexpected = Object.keys(result.errorsByCode).filter((code) => !(spec.allowed ?? []).includes(code));
  expect(unexpected, 'answer codes the scenario does not explain').toEqual([]);
  await expectServing(stack, spec.load.token);
  return { result, tally, server, before, after };
}

/** The gateway answers health and a real inference. */
export async function expectServing(stack: Stack, token?: string): Promise<void> {
  expect((await fetch(`${stack.url}/v2/health/ready`)).status).toBe(200);
  const tally = await runLoad({ url: stack.url, ratePerS: 5, durationMs: 600, boundMs: 30_000, ...(token ? { token } : {}) });
  expect(tally.byCode, 'a probe after the scenario').toEqual({ ok: tally.requests });
}

/** Calls `attempt` until it reports success `wanted` times (or `tries` run out); returns the successes and tries. */
export async function repeatUntil(wanted: number, tries: number, attempt: () => Promise<boolean>): Promise<{ hits: number; tries: number }> {
  let hits = 0;
  let used = 0;
  while (hits < wanted && used < tries) {
    used++;
    if (await attempt()) hits++;
  }
  return { hits, tries: used };
}
