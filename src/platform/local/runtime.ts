import { randomUUID } from 'node:crypto';
import { billedDurationMs, invocationCostUsd, reportLine, type BillingRecord } from '../../core/billing.js';
import { checkMemoryMb, lambdaLimits, vcpusForMemory } from '../../core/pricing.js';
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

interface FunctionState {
  spec: LocalFunctionSpec;
  /** Bumped by a configuration change: instances of an older version are not reused. */
  version: number;
  idle: Instance[];
  busy: Set<Instance>;
  reapTimers: Map<Instance, NodeJS.Timeout>;
  lastUpdateStatus: UpdateStatus;
  lastModified: string;
  instanceCount: number;
}

/**
 * An embedded serverless platform with Lambda's execution model: each function instance is
 * a child process with a CPU share of memoryMb/1769 vCPU and a memory limit, serving one
 * invocation at a time, started cold on demand, reused warm, reaped after a keep-alive.
 * Every invocation is billed as Lambda bills it.
 */
export class LocalRuntime {
  readonly billing: BillingLog;
  private readonly functions = new Map<string, FunctionState>();
  private starting = 0;
  private closed = false;
  /** The configuration version each instance was started with. */
  private readonly versions = new WeakMap<Instance, number>();

  constructor(private readonly options: LocalRuntimeOptions) {
    this.billing = new BillingLog(options.billingLogFile ? { file: options.billingLogFile } : {});
    for (const spec of options.functions) this.register(spec);
  }

  register(spec: LocalFunctionSpec): void {
    checkFunctionSpec(spec);
    handlerLocation(spec);
    this.functions.set(spec.name, {
      spec: { ...spec }, version: 0, idle: [], busy: new Set(), reapTimers: new Map(),
      lastUpdateStatus: 'Successful', lastModified: lambdaTimestamp(), instanceCount: 0,
    });
  }

  functionNames(): string[] {
    return [...this.functions.keys()];
  }

  /** Invocations running now, across functions (what the concurrency limit counts). */
  get inFlight(): number {
    let busy = 0;
    for (const state of this.functions.values()) busy += state.busy.size;
    return busy + this.starting;
  }

  /** Instances alive for a function, idle and busy (for tests and metrics). */
  instances(name: string): { idle: number; busy: number; pids: number[]; busyPids: number[] } {
    const state = this.state(name);
    const busyPids = [...state.busy].map((i) => i.pid);
    return { idle: state.idle.length, busy: state.busy.size, pids: [...state.idle.map((i) => i.pid), ...busyPids], busyPids };
  }

  /** Runs one synchronous (RequestResponse) invocation. Throws LambdaApiError for API errors. */
  async invoke(name: string, payload: string): Promise<RuntimeInvokeResult> {
    const state = this.state(name);
    if (Buffer.byteLength(payload) > lambdaLimits.maxPayloadBytes) {
      throw new LambdaApiError(413, 'RequestTooLargeException', `Request must be smaller than ${lambdaLimits.maxPayloadBytes} bytes for the InvokeFunction operation`);
    }
    try {
      JSON.parse(payload);
    } catch (error) {
      throw new LambdaApiError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`);
    }
    const requestId = randomUUID();
    let instance: Instance;
    try {
      instance = await this.acquire(state);
    } catch (error) {
      if (!(error instanceof InitFailure)) throw error;
      // Lambda answers an INIT failure as a function error of the invocation that met it.
      const message = JSON.stringify({ errorType: error.errorType, errorMessage: error.message });
      const outcome: InstanceOutcome = {
        ok: false, fatal: true, errorType: error.errorType, errorMessage: error.message, payload: message,
        durationMs: 0, maxMemoryUsedMb: 0, log: [error.message],
      };
      return this.answer(state.spec.name, state.spec.memoryMb, requestId, outcome, error.initDurationMs);
    }
    const timeoutMs = state.spec.timeoutS * 1000;
    const cold = instance.invocations === 0;
    const outcome = await instance.invoke({ type: 'invoke', requestId, payload, deadlineMs: Date.now() + timeoutMs }, timeoutMs);
    this.release(state, instance, outcome);
    return this.answer(state.spec.name, instance.options.memoryMb, requestId, outcome, cold ? instance.initDurationMs : undefined);
  }

  getConfiguration(name: string): Record<string, unknown> {
    const state = this.state(name);
    const { module } = handlerLocation(state.spec);
    return {
      FunctionName: name,
      FunctionArn: functionArn(name),
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/ferry-local',
      Handler: state.spec.handler,
      CodeSize: 0,
      Description: `ferry ${state.spec.model} (local runtime, ${module})`,
      Timeout: state.spec.timeoutS,
      MemorySize: state.spec.memoryMb,
      LastModified: state.lastModified,
      Version: '$LATEST',
      State: 'Active',
      LastUpdateStatus: state.lastUpdateStatus,
      PackageType: 'Zip',
      Architectures: ['x86_64'],
      Environment: { Variables: { FERRY_MODEL: state.spec.model } },
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
    if (typeof changes.MemorySize === 'number') state.spec.memoryMb = changes.MemorySize;
    if (typeof changes.Timeout === 'number') state.spec.timeoutS = changes.Timeout;
    state.version++;
    state.lastModified = lambdaTimestamp();
    state.lastUpdateStatus = 'InProgress';
    const answer = this.getConfiguration(name);
    const retiring = state.idle.splice(0);
    void Promise.all(retiring.map((instance) => this.retire(state, instance))).then(() => {
      state.lastUpdateStatus = 'Successful';
    });
    return answer;
  }

  /** Stops every instance (and with it every worker process). */
  async close(): Promise<void> {
    this.closed = true;
    const all: Promise<void>[] = [];
    for (const state of this.functions.values()) {
      for (const instance of [...state.idle.splice(0), ...state.busy]) all.push(this.retire(state, instance));
    }
    await Promise.all(all);
    await this.billing.close();
  }

  private state(name: string): FunctionState {
    const state = this.functions.get(name);
    if (!state) throw functionNotFound(name);
    return state;
  }

  private async acquire(state: FunctionState): Promise<Instance> {
    if (this.closed) throw new LambdaApiError(503, 'ServiceException', 'The local runtime is shutting down');
    // Most recently used first, as Lambda prefers warm environments that were just used.
    while (state.idle.length > 0) {
      const instance = state.idle.pop()!;
      clearTimeout(state.reapTimers.get(instance));
      state.reapTimers.delete(instance);
      if (instance.alive) {
        state.busy.add(instance);
        return instance;
      }
      void this.retire(state, instance);
    }
    if (this.inFlight >= (this.options.concurrency ?? 4)) {
      throw new LambdaApiError(429, 'TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ConcurrentInvocationLimitExceeded' });
    }
    this.starting++;
    try {
      const instance = await this.startInstance(state);
      state.busy.add(instance);
      return instance;
    } finally {
      this.starting--;
    }
  }

  private async startInstance(state: FunctionState): Promise<Instance> {
    const { module, exportName } = handlerLocation(state.spec);
    state.instanceCount++;
    const version = state.version;
    const startMs = performance.now();
    try {
      const instance = await Instance.start({
        id: `${state.spec.name}-${process.pid}-${state.instanceCount}-${Date.now().toString(36)}`,
        functionName: state.spec.name,
        memoryMb: state.spec.memoryMb,
        vcpus: vcpusForMemory(state.spec.memoryMb),
        cpuPeriodUs: this.options.cpuPeriodUs ?? 100_000,
        handlerModule: module,
        handlerExport: exportName,
        warmModel: state.spec.model,
        env: { FERRY_CACHE_DIR: this.options.cacheDir, ...this.options.env },
        initTimeoutMs: this.options.initTimeoutMs ?? lambdaLimits.maxInitMs,
        ...(this.options.onLog ? { onLog: this.options.onLog } : {}),
      });
      this.versions.set(instance, version);
      return instance;
    } catch (error) {
      const name = (error as Error).name;
      throw new InitFailure(name.startsWith('Runtime.') ? name : 'Runtime.InitError', (error as Error).message, performance.now() - startMs);
    }
  }

  private release(state: FunctionState, instance: Instance, outcome: InstanceOutcome): void {
    state.busy.delete(instance);
    const stale = !instance.alive || (!outcome.ok && outcome.fatal) || this.closed || this.versions.get(instance) !== state.version;
    if (stale) {
      void this.retire(state, instance);
      return;
    }
    state.idle.push(instance);
    const timer = setTimeout(() => {
      state.idle = state.idle.filter((i) => i !== instance);
      state.reapTimers.delete(instance);
      void this.retire(state, instance);
    }, this.options.keepAliveMs ?? 300_000);
    timer.unref();
    state.reapTimers.set(instance, timer);
  }

  private async retire(state: FunctionState, instance: Instance): Promise<void> {
    clearTimeout(state.reapTimers.get(instance));
    state.reapTimers.delete(instance);
    state.busy.delete(instance);
    await instance.kill();
  }

  private answer(functionName: string, memoryMb: number, requestId: string, outcome: InstanceOutcome, initDurationMs: number | undefined): RuntimeInvokeResult {
    const billed = billedDurationMs(outcome.durationMs, initDurationMs);
    const record: BillingRecord = {
      functionName,
      requestId,
      durationMs: round2(outcome.durationMs),
      billedDurationMs: billed,
      memoryMb,
      maxMemoryUsedMb: outcome.maxMemoryUsedMb,
      ...(initDurationMs === undefined ? {} : { initDurationMs: round2(initDurationMs) }),
      cold: initDurationMs !== undefined,
      costUsd: invocationCostUsd(billed, memoryMb),
    };
    this.billing.add(record);
    const log = [...outcome.log, reportLine(record)].join('\n') + '\n';
    return { payload: outcome.payload, ...(outcome.ok ? {} : { functionError: 'Unhandled' as const }), log, billing: record };
  }
}

class InitFailure extends Error {
  constructor(readonly errorType: string, message: string, readonly initDurationMs: number) {
    super(message);
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Lambda's LastModified format: 2026-11-27T18:00:00.000+0000. */
function lambdaTimestamp(): string {
  return new Date().toISOString().replace('Z', '+0000');
}
