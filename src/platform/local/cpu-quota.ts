import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readCgroupKey, removeCgroup } from './cgroup-files.js';

/**
 * A CPU share like Lambda's, enforced by the kernel: a cgroup whose CFS quota lets its
 * processes run `vcpus` cores' worth of time per period.
 *
 * The period matters as much as the share: a process that spends its quota early waits for
 * the next period, which shows up as tail latency (NOTES: at 0.5 vCPU with a 100 ms period,
 * b=1 had a 9 ms median but a 58 ms p90). ferry uses 100 ms by default: the kernel's default
 * and the closest public guess at Firecracker's setting on Lambda.
 *
 * Where no cgroup is writable (a laptop user, a container), `enforced` is false, `reason`
 * says why, and processes run unthrottled: callers must say so, not fail.
 */
export interface CpuQuota {
  readonly enforced: boolean;
  readonly reason: string;
  readonly vcpus: number;
  readonly periodUs: number;
  add(pid: number): Promise<void>;
  /** CPU time used by the group's processes, in ns, from the kernel's own accounting. */
  usageNs(): Promise<number | undefined>;
  /** Periods in which the group was throttled (cpu.stat nr_throttled). */
  throttledPeriods(): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface CpuQuotaOptions {
  vcpus: number;
  /** CFS period. @default 100000 */
  periodUs?: number;
  /** Unique name for the group, e.g. `instance-<pid>-<n>`. */
  name: string;
  /** Root of the cgroup file system. @default '/sys/fs/cgroup' */
  cgroupRoot?: string;
}

const groupParent = 'ferry';

/**
 * Whether Lambda's CPU share can be enforced on this machine (a probe cgroup is made and
 * removed), as one line for the commands that run instances to print.
 */
export async function cpuQuotaNote(cgroupRoot?: string): Promise<{ enforced: boolean; note: string }> {
  const probe = await createCpuQuota({ vcpus: 1, name: `probe-${process.pid}`, ...(cgroupRoot ? { cgroupRoot } : {}) });
  await probe.close();
  return probe.enforced
    ? { enforced: true, note: 'CPU shares enforced by cgroup quota' }
    : { enforced: false, note: `CPU shares NOT enforced (${probe.reason}): instances run unthrottled, so latency and cost are not Lambda's` };
}

export async function createCpuQuota(options: CpuQuotaOptions): Promise<CpuQuota> {
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  const periodUs = options.periodUs ?? 100_000;
  const quotaUs = Math.max(1000, Math.round(options.vcpus * periodUs));
  try {
    if (existsSync(path.join(root, 'cpu', 'cpu.cfs_quota_us'))) return await createV1(root, options, periodUs, quotaUs);
    if (existsSync(path.join(root, 'cgroup.controllers'))) return await createV2(root, options, periodUs, quotaUs);
    return unenforced(options.vcpus, periodUs, `no cgroup cpu controller under ${root}`);
  } catch (error) {
    return unenforced(options.vcpus, periodUs, `cgroup not writable (${(error as Error).message})`);
  }
}

async function createV1(root: string, options: CpuQuotaOptions, periodUs: number, quotaUs: number): Promise<CpuQuota> {
  const cpuDir = path.join(root, 'cpu', groupParent, options.name);
  await mkdir(cpuDir, { recursive: true });
  await writeFile(path.join(cpuDir, 'cpu.cfs_period_us'), String(periodUs));
  await writeFile(path.join(cpuDir, 'cpu.cfs_quota_us'), String(quotaUs));
  // cpuacct is often mounted as its own hierarchy in v1; accounting is optional.
  let acctDir: string | undefined = path.join(root, 'cpuacct', groupParent, options.name);
  try {
    await mkdir(acctDir, { recursive: true });
  } catch {
    acctDir = undefined;
  }
  const sameDir = acctDir !== undefined && path.resolve(acctDir) === path.resolve(cpuDir);
  return {
    enforced: true,
    reason: `cgroup v1 cpu quota ${quotaUs}/${periodUs} us`,
    vcpus: options.vcpus,
    periodUs,
    add: async (pid) => {
      await appendFile(path.join(cpuDir, 'cgroup.procs'), String(pid));
      if (acctDir && !sameDir) await appendFile(path.join(acctDir, 'cgroup.procs'), String(pid));
    },
    usageNs: async () => (acctDir ? Number(await readFile(path.join(acctDir, 'cpuacct.usage'), 'utf8')) : undefined),
    throttledPeriods: async () => readCgroupKey(path.join(cpuDir, 'cpu.stat'), 'nr_throttled'),
    close: async () => {
      await removeCgroup(cpuDir, path.join(root, 'cpu', 'cgroup.procs'));
      if (acctDir && !sameDir) await removeCgroup(acctDir, path.join(root, 'cpuacct', 'cgroup.procs'));
    },
  };
}

async function createV2(root: string, options: CpuQuotaOptions, periodUs: number, quotaUs: number): Promise<CpuQuota> {
  const parent = path.join(root, groupParent);
  await mkdir(parent, { recursive: true });
  await writeFile(path.join(root, 'cgroup.subtree_control'), '+cpu').catch(() => undefined);
  await writeFile(path.join(parent, 'cgroup.subtree_control'), '+cpu');
  const dir = path.join(parent, options.name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'cpu.max'), `${quotaUs} ${periodUs}`);
  return {
    enforced: true,
    reason: `cgroup v2 cpu.max ${quotaUs} ${periodUs}`,
    vcpus: options.vcpus,
    periodUs,
    add: (pid) => appendFile(path.join(dir, 'cgroup.procs'), String(pid)),
    usageNs: async () => {
      const usec = await readCgroupKey(path.join(dir, 'cpu.stat'), 'usage_usec');
      return usec === undefined ? undefined : usec * 1000;
    },
    throttledPeriods: () => readCgroupKey(path.join(dir, 'cpu.stat'), 'nr_throttled'),
    close: () => removeCgroup(dir, path.join(root, 'cgroup.procs')),
  };
}

function unenforced(vcpus: number, periodUs: number, reason: string): CpuQuota {
  return {
    enforced: false,
    reason,
    vcpus,
    periodUs,
    add: async () => undefined,
    usageNs: async () => undefined,
    throttledPeriods: async () => undefined,
    close: async () => undefined,
  };
}
