import { fork, type ChildProcess } from 'node:child_process';
import { nodeEntry } from '../util/node-entry.js';
import { startWorkerThread } from '../util/worker-thread.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

/**
 * How a worker runs: its own process (like Python multiprocessing in the paper, and what
 * Lambda bills as one instance's vCPUs) or a thread of the function's process. Both carry
 * the same messages; BENCHMARKS.md compares them.
 */
export type WorkerMode = 'process' | 'thread';

export interface WorkerHandle {
  /** OS process id: the worker's own for 'process', the parent's for 'thread'. */
  readonly pid: number;
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  /** Called once when the worker is gone, for whatever reason. */
  onExit(listener: (reason: string) => void): void;
  kill(): Promise<void>;
}

export function startWorker(mode: WorkerMode): WorkerHandle {
  const entry = nodeEntry(import.meta.url, './worker-main.js');
  return mode === 'process' ? processWorker(entry) : threadWorker(entry);
}

function processWorker(entry: { file: string; execArgv: string[] }): WorkerHandle {
  // 'advanced' serialization carries Float32Array and Buffer without a JSON detour.
  const child: ChildProcess = fork(entry.file, [], {
    execArgv: entry.execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid ?? -1,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on('message', (message) => listener(message as FromWorker)),
    onExit: (listener) => {
      child.once('exit', (code, signal) => listener(signal ? `killed by ${signal}` : `exited with code ${code}`));
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

function threadWorker(entry: { file: string; execArgv: string[] }): WorkerHandle {
  const worker = startWorkerThread(entry);
  let alive = true;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('exit', () => (alive = false));
  return {
    pid: process.pid,
    send: (message) => {
      if (alive) worker.postMessage(message);
    },
    onMessage: (listener) => worker.on('message', listener),
    onExit: (listener) => {
      let error: Error | undefined;
      worker.once('error', (e) => (error = e));
      worker.once('exit', (code) => listener(error ? `failed: ${error.message}` : `exited with code ${code}`));
    },
    kill: async () => {
      if (alive) await worker.terminate();
      await exited;
    },
  };
}
