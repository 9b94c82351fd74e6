import { itemError, type ItemAnswer } from '../core/function-event.js';
import type { ItemError } from '../core/errors.js';
import { startWorker, type WorkerHandle, type WorkerMode } from './worker-handle.js';
import type { FromWorker, WireItem } from './worker-protocol.js';

export interface WorkerPoolOptions {
  modelName: string;
  modelPath: string;
  mode: WorkerMode;
  /** How long a worker may take to start and load its session. @default 60000 */
  loadTimeoutMs?: number;
}

export interface SubBatchResult {
  outputs: ItemAnswer[];
  decodeMs: number;
  inferenceMs: number;
}

interface Slot {
  handle: WorkerHandle;
  ready: Promise<ItemError | undefined>;
  pending?: { jobId: number; size: number; resolve: (result: SubBatchResult) => void };
  dead: boolean;
  /** Stopped on purpose (resize or close), so not to be replaced. */
  retired: boolean;
}

/**
 * Warm workers for one model, each with its own ONNX Runtime session, kept across
 * invocations (a Lambda instance keeps its module state between invocations) and resized
 * when an invocation asks for another process or thread count.
 *
 * What must hold: every item handed to `run` gets exactly one answer, even when its worker
 * dies mid-batch (it then answers WORKER_CRASHED and a fresh worker takes the slot).
 */
export class WorkerPool {
  private slots: Slot[] = [];
  private threads = 0;
  private nextJobId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  get size(): number {
    return this.slots.length;
  }

  get threadsPerProcess(): number {
    return this.threads;
  }

  /** OS process ids of the workers (for CPU quotas). */
  pids(): number[] {
    return this.slots.map((slot) => slot.handle.pid);
  }

  /**
   * Makes the pool `processes` workers of `threads` threads each, replacing any dead ones.
   * Resolves with the time spent starting workers (0 when nothing had to start), or rejects
   * when a worker cannot load the model.
   */
  async resize(processes: number, threads: number): Promise<number> {
    if (this.closed) throw new Error('WorkerPool is closed');
    const startMs = performance.now();
    let started = false;
    if (threads !== this.threads) {
      // A session's intra-op thread count is fixed when it is created.
      await Promise.all(this.slots.map((slot) => this.retire(slot)));
      this.slots = [];
      this.threads = threads;
    }
    for (const [index, slot] of this.slots.entries()) {
      if (slot.dead) {
        this.slots[index] = this.spawn();
        started = true;
      }
    }
    while (this.slots.length < processes) {
      this.slots.push(this.spawn());
      started = true;
    }
    const surplus = this.slots.splice(processes);
    await Promise.all(surplus.map((slot) => this.retire(slot)));
    // A worker that dies while it loads (killed, as opposed to refused by the model) has
    // been replaced already (replaceCrashed): wait once for the replacement rather than
    // fail the whole batch with WORKER_START_FAILED, which the gateway does not retry.
    for (let round = 0; ; round++) {
      const slots = [...this.slots];
      const errors = await Promise.all(slots.map((slot) => slot.ready));
      const failed = errors.findIndex((error) => error !== undefined);
      if (failed < 0) break;
      const replaced = slots.some((slot, i) => errors[i] !== undefined && this.slots[i] !== slot);
      if (!replaced || round >= 1) throw Object.assign(new Error(errors[failed]!.message), { code: errors[failed]!.code });
      started = true;
    }
    return started ? performance.now() - startMs : 0;
  }

  /** Runs sub-batch i on worker i; `subBatches.length` must not exceed the pool size. */
  run(subBatches: WireItem[][], topK: number): Promise<SubBatchResult[]> {
    if (subBatches.length > this.slots.length) {
      throw new RangeError(`Expected at most ${this.slots.length} sub-batches, got ${subBatches.length}`);
    }
    return Promise.all(subBatches.map((items, index) => this.runOn(this.slots[index]!, items, topK)));
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((slot) => this.retire(slot)));
  }

  private runOn(slot: Slot, items: WireItem[], topK: number): Promise<SubBatchResult> {
    if (slot.dead || slot.pending) {
      return Promise.resolve(crashed(items.length, slot.dead ? 'worker is not running' : 'worker is busy'));
    }
    return new Promise((resolve) => {
      const jobId = this.nextJobId++;
      slot.pending = { jobId, size: items.length, resolve };
      slot.handle.send({ type: 'run', jobId, items, topK });
    });
  }

  private spawn(): Slot {
    const handle = startWorker(this.options.mode);
    const slot: Slot = { handle, dead: false, retired: false, ready: Promise.resolve(undefined) };
    const loadTimeoutMs = this.options.loadTimeoutMs ?? 60_000;
    slot.ready = new Promise((resolve) => {
      const timer = setTimeout(() => {
        resolve({ code: 'WORKER_START_FAILED', message: `worker did not load the model within ${loadTimeoutMs} ms` });
        void handle.kill();
      }, loadTimeoutMs);
      handle.onMessage((message: FromWorker) => {
        if (message.type === 'loaded' || message.type === 'load-failed') {
          clearTimeout(timer);
          resolve(message.type === 'loaded' ? undefined : message.error);
        } else if (message.type === 'result' && slot.pending?.jobId === message.jobId) {
          const { resolve: answer } = slot.pending;
          slot.pending = undefined;
          answer({ outputs: message.outputs, decodeMs: message.decodeMs, inferenceMs: message.inferenceMs });
        }
      });
      handle.onExit((reason) => {
        clearTimeout(timer);
        slot.dead = true;
        resolve({ code: 'WORKER_START_FAILED', message: `worker ${reason} while loading the model` });
        const pending = slot.pending;
        slot.pending = undefined;
        pending?.resolve(crashed(pending.size, `worker ${reason}`));
        this.replaceCrashed(slot);
      });
    });
    handle.send({ type: 'load', modelName: this.options.modelName, modelPath: this.options.modelPath, threads: this.threads });
    return slot;
  }

  /** A worker that died on its own is replaced at once, so the next batch finds it warm. */
  private replaceCrashed(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (slot.retired || this.closed || index < 0) return;
    this.slots[index] = this.spawn();
  }

  private async retire(slot: Slot): Promise<void> {
    slot.retired = true;
    slot.dead = true;
    await slot.handle.kill();
  }
}

function crashed(size: number, why: string): SubBatchResult {
  return {
    outputs: Array.from({ length: size }, () => itemError('WORKER_CRASHED', `The worker running this item stopped: ${why}`)),
    decodeMs: 0,
    inferenceMs: 0,
  };
}
