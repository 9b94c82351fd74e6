import type { Worker } from 'node:worker_threads';
import { nodeEntry } from '../util/node-entry.js';
import { startWorkerThread } from '../util/worker-thread.js';
import { runCostCell, type CostCell, type CostMatrixOptions, type Progress } from './cost-matrix.js';
import type { SeededCells } from './cost-summary.js';
import type { CostTrace } from './cost-traces.js';

/** One cell of one seed, as sent to a worker thread. */
export interface CostTask {
  id: number;
  model: string;
  trace: CostTrace;
  sloMs: number;
  options: CostMatrixOptions;
}

export type FromCostWorker =
  | { kind: 'policy'; id: number; policy: string }
  | { kind: 'cell'; id: number; cell: CostCell }
  | { kind: 'error'; id: number; message: string };

/** Every (seed, model, trace, SLO) of the matrix, in the order a sequential run takes them. */
export function costTasks(options: CostMatrixOptions, seeds: readonly number[]): CostTask[] {
  const tasks: CostTask[] = [];
  for (const seed of seeds) {
    for (const model of options.models) {
      for (const trace of options.traces) {
        for (const sloMs of options.slosMs) tasks.push({ id: tasks.length, model, trace, sloMs, options: { ...options, seed } });
      }
    }
  }
  return tasks;
}

/**
 * The matrix for every seed, its cells spread over `jobs` worker threads (1: in this
 * thread). The results are the same as a sequential run's, in the same order: each cell
 * is a seeded simulation of its own. A cell that throws fails the whole run, with its stack.
 */
export async function runCostMatrices(options: CostMatrixOptions, seeds: readonly number[], jobs: number, progress: Progress = () => undefined,
  log: (line: string) => void = () => undefined): Promise<SeededCells[]> {
  const tasks = costTasks(options, seeds);
  const total = tasks.length * options.policies.length;
  let done = 0;
  const label = (task: CostTask) => `${seeds.length > 1 ? `seed ${task.options.seed}: ` : ''}${task.model} ${task.trace.name} SLO ${task.sloMs} ms`;
  const finished = (task: CostTask, cell: CostCell) => log(`${label(task)}: ${cell.requests} requests, ${cell.wallS.toFixed(1)} s`);
  const cells: CostCell[] = new Array<CostCell>(tasks.length);
  if (jobs <= 1 || tasks.length <= 1) {
    for (const task of tasks) {
      cells[task.id] = runCostCell(task.model, task.trace, task.sloMs, task.options, (policy) => progress(done++, total, `${label(task)}: ${policy}`));
      finished(task, cells[task.id]!);
    }
  } else {
    await runOnThreads(tasks, Math.min(jobs, tasks.length), (task, message) => {
      if (message.kind === 'policy') progress(done++, total, `${label(task)}: ${message.policy}`);
      else if (message.kind === 'cell') {
        cells[task.id] = message.cell;
        finished(task, message.cell);
      }
    });
  }
  progress(total, total, 'done');
  return seeds.map((seed, i) => ({ seed, cells: cells.slice(i * (tasks.length / seeds.length), (i + 1) * (tasks.length / seeds.length)) }));
}

function runOnThreads(tasks: readonly CostTask[], threads: number, onMessage: (task: CostTask, message: FromCostWorker) => void): Promise<void> {
  const entry = nodeEntry(import.meta.url, './cost-worker.js');
  const workers: Worker[] = [];
  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let busy = 0;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(error);
    };
    for (let i = 0; i < threads; i++) {
      const worker = startWorkerThread(entry);
      workers.push(worker);
      let task: CostTask | undefined;
      const feed = () => {
        task = tasks[next++];
        if (task) {
          busy++;
          worker.postMessage(task);
          return;
        }
        void worker.terminate();
        if (busy === 0) resolve();
      };
      worker.on('message', (message: FromCostWorker) => {
        if (failed || !task) return;
        if (message.kind === 'error') return fail(new Error(`${task.model} ${task.trace.name} SLO ${task.sloMs} ms, seed ${task.options.seed}: ${message.message}`));
        onMessage(task, message);
        if (message.kind === 'cell') {
          busy--;
          feed();
        }
      });
      worker.on('error', fail);
      // A thread that dies with a cell in hand (out of memory, say) would leave the run waiting for it.
      worker.on('exit', (code) => {
        if (task) fail(new Error(`a ferry bench cost worker thread exited with code ${code} while running ${task.model} ${task.trace.name} SLO ${task.sloMs} ms`));
      });
      feed();
    }
  });
}
