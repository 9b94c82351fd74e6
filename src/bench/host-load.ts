import { readdirSync, readFileSync } from 'node:fs';
import { round2 } from './round.js';

/** What else ran on the host during a live replay, sampled from /proc. */
export interface HostLoad {
  samples: number;
  /** Mean runnable threads outside this process's tree (other programs: their demand in cores). */
  foreignRunnable: number;
  /** Mean runnable threads of this process and its descendants (gateway, instances, workers). */
  ownRunnable: number;
}

interface Task {
  ppid: number;
  runnable: number;
}

/** Every process's parent and how many of its threads are runnable (state R), from /proc. */
function scanProc(): Map<number, Task> {
  const tasks = new Map<number, Task>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      let runnable = 0;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const t = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        if (t[t.lastIndexOf(')') + 2] === 'R') runnable++;
      }
      tasks.set(pid, { ppid: Number(fields[1]), runnable });
    } catch {
      // The process ended while it was read.
    }
  }
  return tasks;
}

function isOwn(pid: number, tasks: Map<number, Task>, root: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === root) return true;
    p = tasks.get(p)?.ppid ?? 0;
  }
  return false;
}

/**
 * Samples the host's runnable threads every `intervalMs` until stopped (Linux /proc only;
 * elsewhere it reports no samples). The sampler's own read counts as this process's.
 */
export function sampleHostLoad(intervalMs = 250): () => HostLoad {
  let samples = 0;
  let foreign = 0;
  let own = 0;
  const sample = () => {
    let tasks: Map<number, Task>;
    try {
      tasks = scanProc();
    } catch {
      return;
    }
    samples++;
    for (const [pid, task] of tasks) {
      if (isOwn(pid, tasks, process.pid)) own += task.runnable;
      else foreign += task.runnable;
    }
  };
  const timer = setInterval(sample, intervalMs);
  return () => {
    clearInterval(timer);
    return samples > 0 ? { samples, foreignRunnable: round2(foreign / samples), ownRunnable: round2(own / samples) } : { samples: 0, foreignRunnable: 0, ownRunnable: 0 };
  };
}

