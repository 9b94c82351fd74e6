import { fork, type ChildProcess } from 'node:child_process';
import { nodeEntry } from '../../util/node-entry.js';
import { createCpuQuota, type CpuQuota } from './cpu-quota.js';
import type { FromInstance, ToInstance } from './instance-protocol.js';
import { createMemoryLimit, type MemoryLimit } from './memory-limit.js';

export interface InstanceOptions {
  id: string;
  functionName: string;
  memoryMb: number;
  vcpus: number;
  cpuPeriodUs: number;
  handlerModule: string;
  handlerExport: string;
  /** Model to load during INIT, when the handler module exports `warmUp`. */
  warmModel?: string;
  env: Record<string, string>;
  initTimeoutMs: number;
  /** Keep an instance's log lines here too (e.g. the runtime's stderr). */
  onLog?: (line: string) => void;
}

/** How one invocation on an instance ended. `fatal` means the instance is gone. */
export type InstanceOutcome =
  | { ok: true; payload: string; durationMs: number; maxMemoryUsedMb: number; log: string[] }
  | { ok: false; fatal: boolean; errorType: string; errorMessage: string; payload: string; durationMs: number; maxMemoryUsedMb: number; log: string[] };

/**
 * One execution environment: a child process with its own CPU quota and memory limit that
 * serves one invocation at a time. Its worker processes are forked after it joined its
 * cgroups, so they share the instance's CPU share and memory, as on Lambda.
 */
export class Instance {
  initDurationMs = 0;
  /** Invocations started on this instance (the first one is the cold start). */
  invocations = 0;
  private log: string[] = [];
  private current?: { requestId: string; resolve: (outcome: InstanceOutcome) => void; timer: NodeJS.Timeout; startMs: number };
  private exited = false;
  private exitReason = '';
  private readonly exitedPromise: Promise<void>;

  private constructor(
    readonly options: InstanceOptions,
    private readonly child: ChildProcess,
    private readonly cpu: CpuQuota,
    private readonly memory: MemoryLimit,
  ) {
    this.exitedPromise = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.exitReason = signal ? `signal: ${signal === 'SIGKILL' ? 'killed' : signal}` : `exit status ${code}`;
      void this.failCurrent();
    });
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.length === 0) continue;
        this.log.push(line);
        options.onLog?.(`[${options.id}] ${line}`);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('message', (raw) => {
      const message = raw as FromInstance;
      if (message.type === 'result' && this.current?.requestId === message.requestId) void this.finish(message);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return !this.exited;
  }


  /** Starts the process, puts it in its cgroups, and waits for INIT to finish. */
  static async start(options: InstanceOptions): Promise<Instance> {
    const cpu = await createCpuQuota({ vcpus: options.vcpus, periodUs: options.cpuPeriodUs, name: options.id });
    const memory = await createMemoryLimit({ memoryMb: options.memoryMb, name: options.id });
    const entry = nodeEntry(import.meta.url, './instance-main.js');
    const heapLimit = memory.enforced ? [] : [`--max-old-space-size=${options.memoryMb}`];
    const startMs = performance.now();
    const child = fork(entry.file, [], {
      execArgv: [...entry.execArgv, ...heapLimit],
      env: { ...process.env, ...options.env, ...lambdaEnv(options), NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const instance = new Instance(options, child, cpu, memory);
    // Join the cgroups at once: the INIT phase and every worker it forks run inside them.
    await Promise.all([cpu.add(child.pid!), memory.add(child.pid!)]).catch(() => undefined);
    try {
      await waitForReady(child, options.initTimeoutMs, () => instance.exitReason);
      // Init Duration, as Lambda reports it: from process start to the end of INIT.
      instance.initDurationMs = performance.now() - startMs;
      return instance;
    } catch (error) {
      const exhausted = await memory.exhausted();
      await instance.kill();
      if (!exhausted) throw error;
      throw Object.assign(new Error(`${(error as Error).message} (memory limit of ${options.memoryMb} MB exceeded)`), { name: 'Runtime.OutOfMemory' });
    }
  }

  /** Runs one invocation; resolves (never rejects) with its outcome. */
  invoke(request: ToInstance, timeoutMs: number): Promise<InstanceOutcome> {
    if (this.current) throw new Error(`instance ${this.options.id} is busy`);
    this.log = [];
    this.invocations++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => void this.timeOut(timeoutMs), timeoutMs);
      this.current = { requestId: request.requestId, resolve, timer, startMs: performance.now() };
      if (this.exited) void this.failCurrent();
      else this.child.send(request);
    });
  }

  async kill(): Promise<void> {
    if (!this.exited) this.child.kill('SIGKILL');
    await this.exitedPromise;
    await Promise.all([this.cpu.close(), this.memory.close()]);
  }

  private async finish(message: Extract<FromInstance, { type: 'result' }>): Promise<void> {
    const current = this.takeCurrent();
    if (!current) return;
    const maxMemoryUsedMb = await this.maxMemoryUsedMb();
    const log = this.log;
    if (message.error) {
      current.resolve({ ok: false, fatal: false, ...message.error, payload: message.payload, durationMs: message.durationMs, maxMemoryUsedMb, log });
    } else {
      current.resolve({ ok: true, payload: message.payload, durationMs: message.durationMs, maxMemoryUsedMb, log });
    }
  }

  private async timeOut(timeoutMs: number): Promise<void> {
    const current = this.takeCurrent();
    if (!current) return;
    // Lambda stops the whole environment on a timeout; so do we.
    this.child.kill('SIGKILL');
    const errorMessage = `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;
    current.resolve(this.fatal('Sandbox.Timedout', errorMessage, current.startMs, await this.maxMemoryUsedMb()));
  }

  private async failCurrent(): Promise<void> {
    const current = this.takeCurrent();
    if (!current) return;
    const exhausted = await this.memory.exhausted();
    const maxMemoryUsedMb = await this.maxMemoryUsedMb();
    if (exhausted) {
      current.resolve(this.fatal('Runtime.OutOfMemory', `Runtime exited with error: ${this.exitReason} (memory limit of ${this.options.memoryMb} MB exceeded)`, current.startMs, maxMemoryUsedMb));
    } else {
      current.resolve(this.fatal('Runtime.ExitError', `Runtime exited with error: ${this.exitReason}`, current.startMs, maxMemoryUsedMb));
    }
  }

  private fatal(errorType: string, errorMessage: string, startMs: number, maxMemoryUsedMb: number): InstanceOutcome {
    const payload = JSON.stringify({ errorType, errorMessage });
    return { ok: false, fatal: true, errorType, errorMessage, payload, durationMs: performance.now() - startMs, maxMemoryUsedMb, log: [...this.log, errorMessage] };
  }

  private takeCurrent() {
    const current = this.current;
    if (current) clearTimeout(current.timer);
    this.current = undefined;
    return current;
  }

  private async maxMemoryUsedMb(): Promise<number> {
    return (await this.memory.maxUsedMb().catch(() => undefined)) ?? 0;
  }
}

function lambdaEnv(options: InstanceOptions): Record<string, string> {
  return {
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    FERRY_HANDLER_MODULE: options.handlerModule,
    FERRY_HANDLER_EXPORT: options.handlerExport,
    ...(options.warmModel ? { FERRY_WARM_MODEL: options.warmModel } : {}),
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number, exitReason: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`INIT did not finish within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (raw: unknown) => {
      const message = raw as FromInstance;
      if (message.type === 'ready') done();
      if (message.type === 'init-failed') done(new Error(`INIT failed: ${message.errorType}: ${message.errorMessage}`));
    };
    const onExit = () => done(new Error(`instance exited during INIT (${exitReason() || 'unknown reason'})`));
    function done(error?: Error) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
