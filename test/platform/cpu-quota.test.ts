import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { cpuQuotaNote, createCpuQuota } from '../../src/platform/local/cpu-quota.js';

/** A child that spins on the CPU for `ms` of wall-clock time. */
function busyChild(ms: number) {
  return spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], { stdio: 'ignore' });
}

describe('CPU quota (real cgroup)', async () => {
  const probe = await createCpuQuota({ vcpus: 1, name: `probe-${process.pid}` });
  await probe.close();

  it.skipIf(!probe.enforced)('holds a busy process to its share, by the kernel\'s own accounting', async () => {
    const quota = await createCpuQuota({ vcpus: 0.5, name: `test-${process.pid}-${Date.now()}` });
    try {
      expect(quota.enforced).toBe(true);
      const wallMs = 1500;
      const child = busyChild(wallMs);
      await quota.add(child.pid!);
      const startNs = (await quota.usageNs()) ?? 0;
      const startedMs = performance.now();
      await once(child, 'exit');
      const elapsedMs = performance.now() - startedMs;
      const usedMs = (((await quota.usageNs()) ?? 0) - startNs) / 1e6;
      // The quota is a hard ceiling whatever else runs: at most half a core per wall second
      // (plus one period of slack). Below, it got a fair part of it even on a loaded machine.
      expect(usedMs / elapsedMs).toBeLessThan(0.5 + 100 / elapsedMs);
      expect(usedMs / elapsedMs).toBeGreaterThan(0.2);
      expect(await quota.throttledPeriods()).toBeGreaterThan(0);
    } finally {
      await quota.close();
    }
  });

  it('reports why when it cannot enforce a share, instead of failing', async () => {
    const quota = await createCpuQuota({ vcpus: 1, name: 'nowhere', cgroupRoot: '/nonexistent-cgroup-root' });
    expect(quota.enforced).toBe(false);
    expect(quota.reason).toMatch(/no cgroup cpu controller/);
    await quota.add(process.pid);
    await quota.close();
  });
});

describe('cpuQuotaNote (what ferry serve and ferry runtime warn with)', () => {
  it('says plainly when no cgroup can hold the share, and why', async () => {
    const note = await cpuQuotaNote('/nonexistent-cgroup-root');
    expect(note.enforced).toBe(false);
    expect(note.note).toMatch(/NOT enforced \(no cgroup cpu controller under \/nonexistent-cgroup-root\): instances run unthrottled/);
  });

  it('agrees with a real probe on this machine', async () => {
    const probe = await createCpuQuota({ vcpus: 1, name: `agree-${process.pid}` });
    await probe.close();
    expect((await cpuQuotaNote()).enforced).toBe(probe.enforced);
  });
});
