/**
 * A worker thread of `ferry bench cost --jobs N`: runs the cells it is sent, one at a time,
 * and posts each back (cost-parallel.ts). A cell is a pure, seeded simulation, so where it
 * runs does not change a figure.
 */
import { parentPort } from 'node:worker_threads';
import { runCostCell } from './cost-matrix.js';
import type { CostTask, FromCostWorker } from './cost-parallel.js';

const port = parentPort;
if (!port) throw new Error('cost-worker.ts runs as a worker thread of ferry bench cost');
port.on('message', (task: CostTask) => {
  const post = (message: FromCostWorker) => port.postMessage(message);
  try {
    const cell = runCostCell(task.model, task.trace, task.sloMs, task.options, (policy) => post({ kind: 'policy', id: task.id, policy }));
    post({ kind: 'cell', id: task.id, cell });
  } catch (error) {
    post({ kind: 'error', id: task.id, message: (error as Error).stack ?? String(error) });
  }
});
