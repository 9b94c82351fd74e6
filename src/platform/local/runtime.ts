import { randomUUID } from 'node:crypto';
import { billedDurationMs, invocationCostUsd, reportLine, type BillingRecord } from '../../core/billing.js';
import type { Clock } from '../../core/clock.js';
import { checkMemoryMb, lambdaLimits, vcpusForMemory } from '../../core/pricing.js';
import { InstancePool, type AcquireResult, type StartResult } from '../../serving/instance-pool.js';
import { systemClock } from '../../util/system-clock.js';
import { BillingLog } from './billing-log.js';
import { checkFunctionSpec, handlerLocation, type LocalFunctionSpec } from './functions.js';
import { Instance, type InstanceOutcome } from './instance.js';
import { functionArn, functionNotFound, LambdaApiError } from './runtime-errors.js';

export interface LocalRuntimeOptions {
  functions: LocalFunctionSpec[];
  /** Where instances cache converted models (FERRY_CACHE_DIR). */
  cacheDir: string;
  /** Invocations running at once across all functions; more answer 429. @default 4 */
  concurrency?: number;
  /** How long an idle instance stays warm. @default 300000 */
  keepAliveMs?: number;
  /** CFS period of each instance's CPU quota. @default 100000 */
  cpuPeriodUs?: number;
  /** INIT phase limit (Lambda's is 10 s). @default 10000 */
  initTimeoutMs?: number;
  /** Append every billing record here as JSON lines. */
  billingLogFile?: string;
  /** Extra environment for every instance. */
  env?: Record<string, string>;
  /** Receives instance log lines (e.g. to print them). */
  onLog?: (line: string) => void;
  /** Times the keep-alive. @default the system clock (src/util/system-clock.ts) */
  clock?: Clock;
}

export interface RuntimeInvokeResult {
  payload: string;
  /** Lambda's X-Amz-Function-Error: set when the function failed. */
  functionError?: 'Unhandled';
  /** The invocation's log: START, the function's output, END and REPORT lines. */
  log: string;
  billing: BillingRecord;
}

export type UpdateStatus = 'Successful' | 'InProgress' | 'Failed';

/** What the Lambda API reports about a function beyond its spec (which the pool holds). */
interface FunctionState {
  lastUpdateStatus: UpdateStatus;
  lastModified: string;
}

/**
 * An embedded serverless platform with Lambda's execution model: each function instance is
 * a child process with a CPU share of memoryMb/1769 vCPU and a memory limit, serving one
 * invocation at a time, started cold on demand, reused warm, reaped after a keep-alive
 * (src/serving/instance-pool.ts decides all of that, as it does for the simulator; this
 * class forks and stops the processes and speaks Lambda's API). Every invocation is billed
 * as Lambda bills it.
 */
export class LocalRuntime {
  readonly billing: BillingLog;
  private readonly functions = new Map<string, FunctionState>();
  private readonly pool: InstancePool<Instance, LocalFunctionSpec>;
  private instancesStarted = 0;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.billing = new BillingLog(options.billingLogFile ? { file: options.billingLogFile } : {});
    this.pool = new InstancePool<Instance, LocalFunctionSpec>({
      clock: options.clock ?? systemClock(),
      concurrency: options.concurrency ?? 4,
      keepAliveMs: options.keepAliveMs ?? 300_000,
      startInstance: ({ spec }, done) => void this.startInstance(spec).then(done),
      stopInstance: (instance, done) => void instance.kill().then(() => done(), () => done()),
      isAlive: (instance) => instance.alive,
    });
    for (const spec of options.functions) this.register(spec);
  }

  /** Adds a function; registering a name again replaces its code and settings (new instances only). */
  register(spec: LocalFunctionSpec): void {
    checkFunctionSpec(spec);
    handlerLocation(spec);
    if (this.pool.has(spec.name)) this.pool.reconfigure(spec.name, { ...spec });
    else this.pool.register(spec.name, { ...spec });
    this.functions.set(spec.name, { lastUpdateStatus: 'Successful', lastModified: lambdaTimestamp() });
  }

  functionNames(): string[] {
    return [...this.functions.keys()];
  }

  /** Invocations running now plus instances starting, across functions (what the concurrency limit counts). */
  get inFlight(): number {
    return this.pool.inFlight;
  }

  /** Instances alive for a function, idle and busy (for tests and metrics). */
  instances(name: string): { idle: number; busy: number; pids: number[]; busyPids: number[] } {
    this.state(name);
    const { idle, busy } = this.pool.instances(name);
    const busyPids = busy.map((i) => i.pid);
    return { idle: idle.length, busy: busy.length, pids: [...idle.map((i) => i.pid), ...busyPids], busyPids };
  }

  /** Runs one synchronous (RequestResponse) invocation. Throws LambdaApiError for API errors. */
  async invoke(name: string, payload: string): Promise<RuntimeInvokeResult> {
    this.state(name);
    if (Buffer.byteLength(payload) > lambdaLimits.maxPayloadBytes) {
      throw new LambdaApiError(413, 'RequestTooLargeException', `Request must be smaller than ${lambdaLimits.maxPayloadBytes} bytes for the InvokeFunction operation`);
    }
    try {
      JSON.parse(payload);
    } catch (error) {
      throw new LambdaApiError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`);
    }
    const requestId = randomUUID();
    const acquired = await new Promise<AcquireResult<Instance>>((resolve) => this.pool.acquire(name, resolve));
    if (acquired.kind === 'closed') throw new LambdaApiError(503, 'ServiceException', 'The local runtime is shutting down');
    if (acquired.kind === 'throttled') {
      throw new LambdaApiError(429, 'TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ConcurrentInvocationLimitExceeded' });
    }
    if (acquired.kind === 'init-failed') {
      // Lambda answers an INIT failure as a function error of the invocation that met it.
      const { errorType, errorMessage } = acquired;
      const outcome: InstanceOutcome = {
        ok: false, fatal: true, errorType, errorMessage, payload: JSON.stringify({ errorType, errorMessage }),
        durationMs: 0, maxMemoryUsedMb: 0, log: [errorMessage],
      };
      return this.answer(name, this.pool.spec(name).memoryMb, requestId, outcome, acquired.initDurationMs);
    }
    const instance = acquired.instance;
    const timeoutMs = this.pool.spec(name).timeoutS * 1000;
    const outcome = await instance.invoke({ type: 'invoke', requestId, payload, deadlineMs: Date.now() + timeoutMs }, timeoutMs);
    this.pool.release(instance, { fatal: !outcome.ok && outcome.fatal });
    return this.answer(name, instance.options.memoryMb, requestId, outcome, acquired.kind === 'cold' ? acquired.initDurationMs : undefined);
  }

  getConfiguration(name: string): Record<string, unknown> {
    const state = this.state(name);
    const spec = this.pool.spec(name);
    const { module } = handlerLocation(spec);
    return {
      FunctionName: name,
      FunctionArn: functionArn(name),
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/ferry-local',
      Handler: spec.handler,
      CodeSize: 0,
      Description: `ferry ${spec.model} (local runtime, ${module})`,
      Timeout: spec.timeoutS,
      MemorySize: spec.memoryMb,
      LastModified: state.lastModified,
      Version: '$LATEST',
      State: 'Active',
      LastUpdateStatus: state.lastUpdateStatus,
      PackageType: 'Zip',
      Architectures: ['x86_64'],
      Environment: { Variables: { FERRY_MODEL: spec.model } },
    };
  }

  /**
   * Changes memory and/or timeout. As on Lambda, new invocations get new instances with the
   * new settings; the answer says `InProgress` until the old idle instances are gone.
   */
  updateConfiguration(name: string, changes: { MemorySize?: unknown; Timeout?: unknown }): Record<string, unknown> {
    const state = this.state(name);
    const invalid = (message: string) => new LambdaApiError(400, 'InvalidParameterValueException', message);
    if (changes.MemorySize !== undefined) {
      const error = checkMemoryMb(Number(changes.MemorySize));
      if (typeof changes.MemorySize !== 'number' || error) throw invalid(error ?? 'MemorySize must be a number');
    }
    if (changes.Timeout !== undefined && !(typeof changes.Timeout === 'number' && changes.Timeout >= 1 && changes.Timeout <= 900)) {
      throw invalid(`Timeout must be an integer in 1..900, got ${String(changes.Timeout)}`);
    }
    const spec = { ...this.pool.spec(name) };
    if (typeof changes.MemorySize === 'number') spec.memoryMb = changes.MemorySize;
    if (typeof changes.Timeout === 'number') spec.timeoutS = changes.Timeout;
    state.lastModified = lambdaTimestamp();
    state.lastUpdateStatus = 'InProgress';
    const retired = new Promise<void>((resolve) => this.pool.reconfigure(name, spec, resolve));
    const answer = this.getConfiguration(name);
    void retired.then(() => {
      state.lastUpdateStatus = 'Successful';
    });
    return answer;
  }

  /** Stops every instance (and with it every worker process), including any still starting. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.pool.close(resolve));
    await this.billing.close();
  }

  private state(name: string): FunctionState {
    const state = this.functions.get(name);
    if (!state) throw functionNotFound(name);
    return state;
  }

  /** The pool's factory: forks an instance and waits for its INIT; never rejects. */
  private async startInstance(spec: LocalFunctionSpec): Promise<StartResult<Instance>> {
    this.instancesStarted++;
    const startMs = performance.now();
    try {
      const { module, exportName } = handlerLocation(spec);
      const instance = await Instance.start({
        id: `${spec.name}-${process.pid}-${this.instancesStarted}-${Date.now().toString(36)}`,
        functionName: spec.name,
        memoryMb: spec.memoryMb,
        vcpus: vcpusForMemory(spec.memoryMb),
        cpuPeriodUs: this.options.cpuPeriodUs ?? 100_000,
        handlerModule: module,
        handlerExport: exportName,
        warmModel: spec.model,
        env: { FERRY_CACHE_DIR: this.options.cacheDir, ...this.options.env },
        initTimeoutMs: this.options.initTimeoutMs ?? lambdaLimits.maxInitMs,
        ...(this.options.onLog ? { onLog: this.options.onLog } : {}),
      });
      return { ok: true, instance, initDurationMs: instance.initDurationMs };
    } catch (error) {
      const name = (error as Error).name;
      return { ok: false, errorType: name.startsWith('Runtime.') ? name : 'Runtime.InitError', errorMessage: (error as Error).message, initDurationMs: performance.now() - startMs };
    }
  }

  private answer(functionName: string, memoryMb: number, requestId: string, outcome: InstanceOutcome, initDurationMs: number | undefined): RuntimeInvokeResult {
    // Billed from the durations the REPORT line shows (to 0.01 ms), so that a record's
    // billed duration is always the one its own fields give (66.004 ms reads as 66.00).
    const durationMs = round2(outcome.durationMs);
    const initMs = initDurationMs === undefined ? undefined : round2(initDurationMs);
    const billed = billedDurationMs(durationMs, initMs);
    const record: BillingRecord = {
      functionName,
      requestId,
      durationMs,
      billedDurationMs: billed,
      memoryMb,
      maxMemoryUsedMb: outcome.maxMemoryUsedMb,
      ...(initMs === undefined ? {} : { initDurationMs: initMs }),
      cold: initDurationMs !== undefined,
      costUsd: invocationCostUsd(billed, memoryMb),
    };
    this.billing.add(record);
    const log = [...outcome.log, reportLine(record)].join('\n') + '\n';
    return { payload: outcome.payload, ...(outcome.ok ? {} : { functionError: 'Unhandled' as const }), log, billing: record };
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Lambda's LastModified format: 2026-11-27T18:00:00.000+0000. */
function lambdaTimestamp(): string {
  return new Date().toISOString().replace('Z', '+0000');
}
