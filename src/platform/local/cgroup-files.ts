import { appendFile, readFile, rmdir } from 'node:fs/promises';
import path from 'node:path';

/** Reads `key value` from a cgroup stat file (cpu.stat, memory.oom_control, memory.events). */
export async function readCgroupKey(file: string, key: string): Promise<number | undefined> {
  try {
    const line = (await readFile(file, 'utf8')).split('\n').find((l) => l.startsWith(`${key} `));
    return line ? Number(line.split(' ')[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Moves any process still inside to `parentProcs`, then removes the group. */
export async function removeCgroup(dir: string, parentProcs: string): Promise<void> {
  try {
    const pids = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean);
    for (const pid of pids) await appendFile(parentProcs, pid).catch(() => undefined);
    await rmdir(dir);
  } catch {
    // Already gone, or a process inside is still exiting: an empty group costs nothing.
  }
}
