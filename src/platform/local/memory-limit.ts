import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readCgroupKey, removeCgroup } from './cgroup-files.js';

/**
 * A memory limit like Lambda's, enforced by the kernel: a cgroup whose processes are
 * OOM-killed when together they use more than the function's memory size. The group is
 * made inside the cgroup this process already runs in, so a sandbox's own limit still holds.
 *
 * Where no memory cgroup is writable, `enforced` is false and the runtime falls back to a
 * Node heap limit (`--max-old-space-size`), which bounds JavaScript objects only, not
 * ONNX Runtime's native memory: say so rather than pretend.
 */
export interface MemoryLimit {
  readonly enforced: boolean;
  readonly reason: string;
  add(pid: number): Promise<void>;
  /** Peak memory of the group since it was made, in MB. */
  maxUsedMb(): Promise<number | undefined>;
  /**
   * Whether the group ran out of memory: the kernel OOM-killed a process in it, or its usage
   * hit the limit (a process may then thrash on reclaimed pages instead of being killed).
   */
  exhausted(): Promise<boolean>;
  close(): Promise<void>;
}

export interface MemoryLimitOptions {
  memoryMb: number;
  name: string;
  /** @default '/sys/fs/cgroup' */
  cgroupRoot?: string;
  /** This process's /proc/self/cgroup text (injected for tests). */
  selfCgroup?: string;
}

export async function createMemoryLimit(options: MemoryLimitOptions): Promise<MemoryLimit> {
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  try {
    const v1 = path.join(root, 'memory');
    if (existsSync(path.join(v1, 'memory.limit_in_bytes'))) {
      const own = await ownCgroup(options.selfCgroup, (line) => line.split(':')[1]?.split(',').includes('memory') ?? false);
      return await createV1(path.join(v1, own), options);
    }
    if (existsSync(path.join(root, 'cgroup.controllers'))) {
      return await createV2(root, options);
    }
    return unenforced(`no cgroup memory controller under ${root}`);
  } catch (error) {
    return unenforced(`cgroup not writable (${(error as Error).message})`);
  }
}

async function ownCgroup(selfCgroup: string | undefined, match: (line: string) => boolean): Promise<string> {
  const text = selfCgroup ?? (await readFile('/proc/self/cgroup', 'utf8'));
  const line = text.split('\n').find(match);
  return line ? line.split(':').slice(2).join(':') : '/';
}

async function createV1(parent: string, options: MemoryLimitOptions): Promise<MemoryLimit> {
  const dir = path.join(parent, 'ferry', options.name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'memory.limit_in_bytes'), String(options.memoryMb * 1024 * 1024));
  const file = (name: string) => path.join(dir, name);
  return {
    enforced: true,
    reason: `cgroup v1 memory.limit_in_bytes ${options.memoryMb} MB`,
    add: (pid) => appendFile(file('cgroup.procs'), String(pid)),
    maxUsedMb: async () => Math.ceil(Number(await readFile(file('memory.max_usage_in_bytes'), 'utf8')) / 2 ** 20),
    exhausted: async () =>
      ((await readCgroupKey(file('memory.oom_control'), 'oom_kill')) ?? 0) > 0 ||
      Number(await readFile(file('memory.failcnt'), 'utf8').catch(() => '0')) > 0,
    close: () => removeCgroup(dir, path.join(parent, 'cgroup.procs')),
  };
}

async function createV2(root: string, options: MemoryLimitOptions): Promise<MemoryLimit> {
  const own = await ownCgroup(options.selfCgroup, (line) => line.startsWith('0::'));
  const parent = path.join(root, own, 'ferry');
  await mkdir(parent, { recursive: true });
  await writeFile(path.join(parent, 'cgroup.subtree_control'), '+memory');
  const dir = path.join(parent, options.name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'memory.max'), String(options.memoryMb * 1024 * 1024));
  await writeFile(path.join(dir, 'memory.swap.max'), '0').catch(() => undefined);
  return {
    enforced: true,
    reason: `cgroup v2 memory.max ${options.memoryMb} MB`,
    add: (pid) => appendFile(path.join(dir, 'cgroup.procs'), String(pid)),
    maxUsedMb: async () => {
      const peak = await readFile(path.join(dir, 'memory.peak'), 'utf8').catch(() => undefined);
      return peak === undefined ? undefined : Math.ceil(Number(peak) / 2 ** 20);
    },
    exhausted: async () => {
      const events = path.join(dir, 'memory.events');
      return ((await readCgroupKey(events, 'oom_kill')) ?? 0) > 0 || ((await readCgroupKey(events, 'max')) ?? 0) > 0;
    },
    close: () => removeCgroup(dir, path.join(root, own, 'cgroup.procs')),
  };
}

function unenforced(reason: string): MemoryLimit {
  return {
    enforced: false,
    reason,
    add: async () => undefined,
    maxUsedMb: async () => undefined,
    exhausted: async () => false,
    close: async () => undefined,
  };
}
