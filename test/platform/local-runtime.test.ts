import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billedDurationMs, invocationCostUsd } from '../../src/core/billing.js';
import { LambdaApiError } from '../../src/platform/local/runtime-errors.js';
import { LocalRuntime } from '../../src/platform/local/runtime.js';
import { testCacheDir } from '../helpers/function.js';
import { cpuCgroupOf, imageEvent, processAlive, waitFor } from '../helpers/runtime.js';

const spec = (name: string, memoryMb = 1769, timeoutS = 60) => ({ name, model: 'mobilenetv2', memoryMb, timeoutS, handler: 'index.handler' });

describe('local runtime (real instance processes)', () => {
  let runtime: LocalRuntime;
  beforeAll(() => {
    runtime = new LocalRuntime({
      functions: [spec('demo'), spec('half', 885), spec('brief', 1769, 1)],
      cacheDir: testCacheDir,
      // Cold starts run TypeScript from source on a busy 2-core machine: allow more than Lambda's 10 s.
      initTimeoutMs: 30_000,
      concurrency: 2,
      keepAliveMs: 60_000,
    });
  });
  afterAll(async () => {
    const pids = runtime.instances('demo').pids;
    await runtime.close();
    // Shutdown reaps every instance it started.
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
  });

  it('starts cold, then reuses the warm instance, and bills both as Lambda would', async () => {
    const first = await runtime.invoke('demo', JSON.stringify(imageEvent(2)));
    const second = await runtime.invoke('demo', JSON.stringify(imageEvent(2)));
    expect(JSON.parse(first.payload).outputs).toHaveLength(2);
    expect(first.functionError).toBeUndefined();
    expect(first.billing.cold).toBe(true);
    expect(first.billing.initDurationMs).toBeGreaterThan(0);
    expect(second.billing.cold).toBe(false);
    expect(second.billing.initDurationMs).toBeUndefined();
    expect(runtime.instances('demo')).toMatchObject({ idle: 1, busy: 0 });
    for (const result of [first, second]) {
      const b = result.billing;
      expect(b.billedDurationMs).toBe(billedDurationMs(b.durationMs, b.initDurationMs));
      expect(b.costUsd).toBeCloseTo(invocationCostUsd(b.billedDurationMs, 1769), 15);
      expect(result.log).toMatch(/^START RequestId: \S+ Version: \$LATEST$/m);
      expect(result.log).toMatch(/^REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 1769 MB\tMax Memory Used: \d+ MB/m);
    }
    expect(first.log).toMatch(/Init Duration: [\d.]+ ms/);
    expect(runtime.billing.totalsFor('demo')).toMatchObject({ invocations: 2, coldStarts: 1 });
  });

  it('answers 429 TooManyRequestsException past the concurrency limit', async () => {
    const big = JSON.stringify(imageEvent(16));
    const calls = [runtime.invoke('demo', big), runtime.invoke('demo', big), runtime.invoke('demo', big)];
    const settled = await Promise.allSettled(calls);
    const throttled = settled.filter((s) => s.status === 'rejected');
    expect(throttled).toHaveLength(1);
    expect((throttled[0] as PromiseRejectedResult).reason).toMatchObject({ statusCode: 429, errorType: 'TooManyRequestsException' });
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(2);
  });

  it('holds an instance and its workers to memoryMb/1769 vCPU with a cgroup quota', async () => {
    const result = await runtime.invoke('half', JSON.stringify(imageEvent(4, 2)));
    expect(result.functionError).toBeUndefined();
    const [pid] = runtime.instances('half').pids;
    const group = cpuCgroupOf(pid!);
    const dir = `/sys/fs/cgroup/cpu${group}`;
    if (!group || group === '/' || !existsSync(`${dir}/cpu.cfs_quota_us`)) {
      console.warn('cgroup cpu quota not available here: skipping the quota check');
      return;
    }
    const quotaUs = Number(readFileSync(`${dir}/cpu.cfs_quota_us`, 'utf8'));
    const periodUs = Number(readFileSync(`${dir}/cpu.cfs_period_us`, 'utf8'));
    expect(quotaUs / periodUs).toBeCloseTo(885 / 1769, 2);
    // The workers were forked inside the instance's group, so they share its quota.
    const members = readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
    expect(members).toContain(pid);
    expect(members.length).toBeGreaterThanOrEqual(3);
    const throttledBefore = Number(/nr_throttled (\d+)/.exec(readFileSync(`${dir}/cpu.stat`, 'utf8'))![1]);
    const acct = `/sys/fs/cgroup/cpuacct${group}/cpuacct.usage`;
    const usageBeforeNs = existsSync(acct) ? Number(readFileSync(acct, 'utf8')) : undefined;
    const startMs = performance.now();
    await runtime.invoke('half', JSON.stringify(imageEvent(8, 2)));
    const wallMs = performance.now() - startMs;
    const throttledAfter = Number(/nr_throttled (\d+)/.exec(readFileSync(`${dir}/cpu.stat`, 'utf8'))![1]);
    expect(throttledAfter).toBeGreaterThan(throttledBefore);
    if (usageBeforeNs !== undefined) {
      const cpuMs = (Number(readFileSync(acct, 'utf8')) - usageBeforeNs) / 1e6;
      // Two busy workers would use up to 2 cores unthrottled; the quota holds them near 0.5.
      expect(cpuMs / wallMs).toBeLessThan(0.5 + 100 / wallMs + 0.05);
    }
  });

  it('fails an invocation that exceeds the memory limit, and stays up', async () => {
    const codeDir = fileURLToPath(new URL('../fixtures/alloc-function/', import.meta.url));
    runtime.register({ ...spec('greedy', 512), codeDir });
    const fits = await runtime.invoke('greedy', JSON.stringify({ allocateMb: 32 }));
    expect(fits.functionError).toBeUndefined();
    expect(JSON.parse(fits.payload)).toMatchObject({ allocatedMb: 32 });
    const greedy = await runtime.invoke('greedy', JSON.stringify({ allocateMb: 1024 }));
    expect(greedy.functionError).toBe('Unhandled');
    const payload = JSON.parse(greedy.payload);
    if (payload.errorType === 'Runtime.ExitError' || payload.errorType === undefined) {
      console.warn(`memory cgroup not enforced here: ${greedy.payload}`);
    } else {
      expect(payload).toMatchObject({ errorType: 'Runtime.OutOfMemory' });
      expect(payload.errorMessage).toMatch(/memory limit of 512 MB exceeded/);
      expect(greedy.billing.maxMemoryUsedMb).toBeGreaterThanOrEqual(500);
    }
    expect(runtime.instances('greedy')).toMatchObject({ idle: 0, busy: 0 });
    const healthy = await runtime.invoke('demo', JSON.stringify(imageEvent(1)));
    expect(healthy.functionError).toBeUndefined();
  });

  it('answers a crash mid-invocation as Unhandled, replaces the instance, and serves the next call', async () => {
    await runtime.invoke('demo', JSON.stringify(imageEvent(1)));
    const pending = runtime.invoke('demo', JSON.stringify(imageEvent(16)));
    const [victim] = runtime.instances('demo').busyPids;
    setTimeout(() => process.kill(victim!, 'SIGKILL'), 40);
    const crashed = await pending;
    expect(crashed.functionError).toBe('Unhandled');
    expect(JSON.parse(crashed.payload)).toMatchObject({ errorType: 'Runtime.ExitError' });
    const next = await runtime.invoke('demo', JSON.stringify(imageEvent(1)));
    expect(next.functionError).toBeUndefined();
    expect(runtime.instances('demo').pids).not.toContain(victim);
  });

  it('times out a slow invocation and stops its instance', async () => {
    const result = await runtime.invoke('brief', JSON.stringify(imageEvent(64)));
    expect(result.functionError).toBe('Unhandled');
    expect(JSON.parse(result.payload)).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(runtime.instances('brief')).toMatchObject({ idle: 0, busy: 0 });
  });

  it('rejects unknown functions, malformed JSON and oversize payloads with Lambda error types', async () => {
    await expect(runtime.invoke('nope', '{}')).rejects.toMatchObject({ statusCode: 404, errorType: 'ResourceNotFoundException' });
    await expect(runtime.invoke('demo', '{"model":')).rejects.toMatchObject({ statusCode: 400, errorType: 'InvalidRequestContentException' });
    await expect(runtime.invoke('demo', JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) }))).rejects.toBeInstanceOf(LambdaApiError);
  });

  it('applies a memory change to new instances only, reporting InProgress then Successful', async () => {
    await runtime.invoke('demo', JSON.stringify(imageEvent(1)));
    const update = runtime.updateConfiguration('demo', { MemorySize: 1024 });
    expect(update).toMatchObject({ MemorySize: 1024, LastUpdateStatus: 'InProgress' });
    expect(await waitFor(() => runtime.getConfiguration('demo').LastUpdateStatus === 'Successful', 5000)).toBe(true);
    const after = await runtime.invoke('demo', JSON.stringify(imageEvent(1)));
    expect(after.billing).toMatchObject({ memoryMb: 1024, cold: true });
    expect(() => runtime.updateConfiguration('demo', { MemorySize: 64 })).toThrow(/128\.\.10240/);
  });
});

describe('keep-alive', () => {
  it('reaps an idle instance after the keep-alive period', async () => {
    const runtime = new LocalRuntime({ functions: [spec('demo')], cacheDir: testCacheDir, keepAliveMs: 300 });
    try {
      await runtime.invoke('demo', JSON.stringify(imageEvent(1)));
      const [pid] = runtime.instances('demo').pids;
      expect(processAlive(pid!)).toBe(true);
      expect(await waitFor(() => runtime.instances('demo').idle === 0 && !processAlive(pid!), 5000)).toBe(true);
      const again = await runtime.invoke('demo', JSON.stringify(imageEvent(1)));
      expect(again.billing.cold).toBe(true);
    } finally {
      await runtime.close();
    }
  });
});
