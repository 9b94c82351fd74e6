import { billedDurationMs, invocationCostUsd } from '../core/billing.js';
import type { Clock } from '../core/clock.js';
import { itemError, type FunctionEvent, type ItemAnswer, type ItemOutput } from '../core/function-event.js';
import type { FunctionInvoker, InvocationBilling, InvokeOutcome } from '../core/invoker.js';
import type { LatencyModel } from '../core/latency-model.js';
import { memoryNeedMb, type MemoryNeed } from '../core/memory-need.js';
import { vcpusForMemory } from '../core/pricing.js';
import { InstancePool, type StartResult } from '../serving/instance-pool.js';
import { HostCpu } from './host-cpu.js';

/** How the simulated platform behaves beyond the profile's handler latency. */
export interface SimPlatformOptions {
  latency: LatencyModel;
  /** Seeded uniform [0, 1) source for service-time draws. */
  random: () => number;
  /**
   * INIT of one instance at 1 vCPU or more (process, handler import, model and first
   * worker), slower in proportion below 1 vCPU. @default 1060 (bench:runtime, BENCHMARKS.md)
   */
  initMs?: number;
  /** Starting one more worker process (its own ONNX session) at 1 vCPU. @default 100 */
  workerStartMs?: number;
  /**
   * What an invocation costs the gateway beyond the handler's own time (event JSON, IPC or
   * HTTP, the answer back), not billed: fixed + per item. @default { fixedMs: 1, perItemMs: 0 }
   */
  overheadMs?: { fixedMs: number; perItemMs: number };
  /**
   * Memory an instance needs (src/core/memory-need.ts). INIT (base and one worker) that does
   * not fit fails with Runtime.OutOfMemory; a batch that does not fit is killed as live: its
   * items answer WORKER_CRASHED and the instance restarts the worker.
   */
  memoryNeedMb?: MemoryNeed;
  /** Invocations running plus instances starting before 429 (Lambda's default account limit). @default 1000 */
  concurrency?: number;
  /** Idle instance keep-alive. @default 300000 */
  keepAliveMs?: number;
  /** Cores shared by all instances (the embedded runtime's host); Infinity: independent, as on Lambda. @default Infinity */
  hostCores?: number;
  /** Foreign runnable threads on the shared host (src/sim/host-cpu.ts). @default 0 */
  hostBackgroundCores?: number;
  /** Function timeout. @default 30 */
  timeoutS?: number;
}

interface SimInstance {
  memoryMb: number;
  /** Worker processes running (the handler resizes its pool to what an event asks for). */
  workers: number;
  threads: number;
}

interface SimSpec {
  memoryMb: number;
}

/** The answer of every simulated item: shape only, no model ran. */
const simulatedOutput: ItemOutput = Object.freeze({ shape: [1], data: [1], top: [] }) as ItemOutput;
/** The answer of an item whose worker ran out of memory (src/function/worker-pool.ts answers the same). */
const workerKilled: ItemAnswer = Object.freeze(itemError('WORKER_CRASHED', 'The worker running this item stopped: killed out of memory (simulated)'));

/**
 * A FunctionInvoker on a virtual clock: Lambda's execution model (the same InstancePool as
 * the embedded runtime: cold starts, reuse, keep-alive, concurrency limit and 429), handler
 * time drawn from a measured profile (src/core/latency-model.ts), cold starts, worker
 * starts when the process count changes, memory limits, function timeouts, CPU shared by
 * the host's cores where they are, and Lambda billing through the same functions as the
 * live meter (billed duration rounded up to 1 ms, INIT billed on cold starts).
 */
export class SimulatedInvoker implements FunctionInvoker {
  readonly kind = 'simulated';
  readonly pool: InstancePool<SimInstance, SimSpec>;
  private readonly host: HostCpu;
  private readonly o: Required<Omit<SimPlatformOptions, 'memoryNeedMb'>> & Pick<SimPlatformOptions, 'memoryNeedMb'>;

  constructor(
    private readonly clock: Clock,
    functions: Record<string, number>,
    options: SimPlatformOptions,
  ) {
    this.o = {
      initMs: 1060, workerStartMs: 100, overheadMs: { fixedMs: 1, perItemMs: 0 }, concurrency: 1000, keepAliveMs: 300_000,
      hostCores: Infinity, hostBackgroundCores: 0, timeoutS: 30, ...options,
    };
    this.host = new HostCpu(clock, this.o.hostCores, this.o.hostBackgroundCores);
    this.pool = new InstancePool<SimInstance, SimSpec>({
      clock, concurrency: this.o.concurrency, keepAliveMs: this.o.keepAliveMs,
      startInstance: (request, done) => this.startInstance(request.spec, done),
      stopInstance: (_instance, done) => done(),
    });
    for (const [name, memoryMb] of Object.entries(functions)) this.pool.register(name, { memoryMb });
  }

  invoke(functionName: string, event: FunctionEvent, done: (outcome: InvokeOutcome) => void): void {
    const startMs = this.clock.nowMs();
    this.pool.acquire(functionName, (acquired) => {
      if (acquired.kind === 'throttled' || acquired.kind === 'closed') {
        const error = acquired.kind === 'throttled'
          ? { kind: 'throttled' as const, errorType: 'TooManyRequestsException', message: 'Rate Exceeded.' }
          : { kind: 'transport' as const, errorType: 'ServiceException', message: 'The simulated platform is closed' };
        // Never before invoke() returns (the FunctionInvoker contract), even for an at-once 429.
        this.clock.setTimer(this.o.overheadMs.fixedMs, () => done({ ok: false, error }));
        return;
      }
      if (acquired.kind === 'init-failed') {
        const billing = this.bill(0, acquired.initDurationMs, this.pool.spec(functionName).memoryMb);
        this.clock.setTimer(Math.max(0, this.clock.nowMs() - startMs) + this.o.overheadMs.fixedMs, () =>
          done({ ok: false, error: { kind: 'function-error', errorType: acquired.errorType, message: acquired.errorMessage }, billing }));
        return;
      }
      const instance = acquired.instance;
      const initMs = acquired.kind === 'cold' ? acquired.initDurationMs : undefined;
      const overheadMs = this.o.overheadMs.fixedMs + this.o.overheadMs.perItemMs * event.inputs.length;
      // The instance stays busy until its answer is out (handler, then the answer's way back).
      this.run(instance, event, overheadMs, (handlerMs, failure, crashedItems = 0) => {
        const billing = this.bill(handlerMs, initMs, instance.memoryMb);
        this.pool.release(instance, { fatal: failure !== undefined });
        if (failure) return done({ ok: false, error: { kind: 'function-error', errorType: failure.errorType, message: failure.message }, billing });
        const outputs = new Array<ItemAnswer>(event.inputs.length).fill(simulatedOutput);
        outputs.fill(workerKilled, 0, crashedItems);
        done({
          ok: true, billing,
          result: {
            outputs, timings: { initMs: 0, decodeMs: 0, inferenceMs: handlerMs, totalMs: handlerMs },
            processes: event.processes ?? 1, threadsPerProcess: event.threadsPerProcess ?? 1,
          },
        });
      });
    });
  }

  async getMemoryMb(functionName: string): Promise<number> {
    return this.pool.spec(functionName).memoryMb;
  }

  /**
   * A new version with the memory: new invocations get new (cold) instances; in force at
   * once. A function not seen before is created (a trial lane's, Gateway.applyTrial).
   */
  setMemoryMb(functionName: string, memoryMb: number, done: (error?: Error) => void): void {
    if (!this.pool.has(functionName)) this.pool.register(functionName, { memoryMb });
    else this.pool.reconfigure(functionName, { memoryMb });
    done();
  }

  async close(): Promise<void> {
    this.pool.close();
  }

  private startInstance(spec: SimSpec, done: (result: StartResult<SimInstance>) => void): void {
    const vcpus = vcpusForMemory(spec.memoryMb);
    const initMs = this.o.initMs / Math.min(1, vcpus);
    const need = this.memoryNeedMb(1, 0);
    this.host.run(initMs, Math.min(1, vcpus), () => {
      if (need > spec.memoryMb) {
        return done({ ok: false, errorType: 'Runtime.OutOfMemory', errorMessage: `INIT needs about ${need} MB, the function has ${spec.memoryMb} MB`, initDurationMs: initMs });
      }
      done({ ok: true, instance: { memoryMb: spec.memoryMb, workers: 1, threads: 1 }, initDurationMs: initMs });
    });
  }

  /**
   * The handler on one instance (worker starts if the process count changed, then the
   * batch), then `tailMs` for the answer to reach the gateway; `done` gets the handler's
   * own time (what is billed). One timer when the host's cores are not shared.
   */
  private run(instance: SimInstance, event: FunctionEvent, tailMs: number, done: (handlerMs: number, failure?: { errorType: string; message: string }, crashedItems?: number) => void): void {
    const processes = event.processes ?? 1;
    const threads = event.threadsPerProcess ?? 1;
    const vcpus = vcpusForMemory(instance.memoryMb);
    const need = this.memoryNeedMb(processes, 0);
    if (need > instance.memoryMb) {
      this.clock.setTimer(1 + tailMs, () => done(1, { errorType: 'Runtime.OutOfMemory', message: `${processes} worker process(es) need about ${need} MB, the function has ${instance.memoryMb} MB` }));
      return;
    }
    const n = event.inputs.length;
    const batchNeedMb = this.memoryNeedMb(processes, n);
    // The pool restarts every worker when the thread count changes, else starts the missing ones.
    const starting = threads !== instance.threads ? processes : Math.max(0, processes - instance.workers);
    const resizeMs = (starting * this.o.workerStartMs) / Math.min(1, vcpus / Math.max(1, processes));
    instance.workers = processes;
    instance.threads = threads;
    const batchMs = n === 0 ? 0.5 : this.o.latency.sampleMs(this.o.latency.forMemory(n, processes, threads, instance.memoryMb), this.o.random());
    const timeoutMs = this.o.timeoutS * 1000;
    const finish = (handlerMs: number) => {
      if (handlerMs > timeoutMs) return done(timeoutMs, { errorType: 'Sandbox.Timedout', message: `Task timed out after ${this.o.timeoutS.toFixed(2)} seconds` });
      if (batchNeedMb <= instance.memoryMb) return done(handlerMs);
      // Out of memory, the kernel kills one worker (the instance and the other workers live
      // on): its share of the batch answers WORKER_CRASHED and the next invocation starts a
      // worker again. Billed for the whole batch's time, an upper bound on when the kill came.
      instance.workers = processes - 1;
      done(handlerMs, undefined, Math.ceil(n / processes));
    };
    if (!this.host.isShared) {
      const handlerMs = resizeMs + batchMs;
      this.clock.setTimer(Math.min(handlerMs, timeoutMs) + tailMs, () => finish(handlerMs));
      return;
    }
    const startMs = this.clock.nowMs();
    this.host.run(resizeMs + batchMs, Math.min(vcpus, processes * threads), () => {
      const handlerMs = this.clock.nowMs() - startMs;
      this.clock.setTimer(tailMs, () => finish(handlerMs));
    });
  }

  private memoryNeedMb(processes: number, batchSize: number): number {
    const need = this.o.memoryNeedMb;
    return need ? memoryNeedMb(need, processes, batchSize) : 0;
  }

  private bill(handlerMs: number, initMs: number | undefined, memoryMb: number): InvocationBilling {
    // To the nanosecond: interpolated draws and differences of clock readings carry float
    // error (10 ms as 10.000000000000002), which billing's round-up would make 11 ms.
    const ns = (ms: number) => Math.round(ms * 1e6) / 1e6;
    const billed = billedDurationMs(ns(handlerMs), initMs === undefined ? undefined : ns(initMs));
    return {
      requestId: 'sim', durationMs: handlerMs, billedDurationMs: billed, memoryMb, maxMemoryUsedMb: 0,
      ...(initMs === undefined ? {} : { initDurationMs: initMs }),
      costUsd: invocationCostUsd(billed, memoryMb),
    };
  }
}
