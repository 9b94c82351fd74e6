import type { Clock, TimerId } from '../core/clock.js';
import { FerryError } from '../core/errors.js';

/**
 * Lambda's execution model for one account, in one place: the embedded runtime (instances
 * are child processes) and the simulator (instances are plain objects on a virtual clock)
 * both use it, so cold starts, reuse, keep-alive, the concurrency limit and 429 cannot
 * drift between them.
 *
 * - An invocation takes the most recently used idle instance of its function (Lambda
 *   prefers the environment that was just used; the others then age out), else starts one
 *   (a cold start). An instance serves one invocation at a time.
 * - Concurrency is what Lambda counts: invocations running plus instances starting, across
 *   functions. At the limit an invocation is throttled (429), even if an idle instance
 *   waits: reusing it would still be one more invocation running.
 * - An idle instance is stopped `keepAliveMs` after its last release (a background timer).
 * - A configuration change bumps the function's version: idle instances of older versions
 *   stop at once, busy ones when released; an instance still starting serves the
 *   invocation it was started for (as Lambda runs invocations during an update on the old
 *   configuration) and is then retired.
 *
 * Everything completes by callback, never by promise, so an event engine can step the pool
 * exactly: a callback may run before the call that caused it returns (a warm instance or a
 * throttle answers at once; a factory may call `done` synchronously). Instances are told
 * apart by identity: `I` must be an object (or another value unique per instance).
 */
export interface InstancePoolOptions<I, S> {
  clock: Clock;
  /** Invocations running plus instances starting, across functions, before 429. */
  concurrency: number;
  /** How long an idle instance stays warm after its last invocation. */
  keepAliveMs: number;
  /**
   * Starts one instance of `request.spec`; must call `done` exactly once (it may do so
   * synchronously) and must not throw. `initDurationMs` is what Lambda reports as Init
   * Duration; the owner measures it (the runtime from process start, a simulator from its model).
   */
  startInstance(request: StartRequest<S>, done: (result: StartResult<I>) => void): void;
  /** Stops an instance (idle, or busy at close); must call `done` once it is gone. */
  stopInstance(instance: I, done: () => void): void;
  /** Whether an instance can still serve (a child process may die while idle). @default () => true */
  isAlive?(instance: I): boolean;
}

export interface StartRequest<S> {
  functionName: string;
  spec: S;
  /** The function's configuration version the instance is started with. */
  version: number;
}

export type StartResult<I> =
  | { ok: true; instance: I; initDurationMs: number }
  | { ok: false; errorType: string; errorMessage: string; initDurationMs: number };

/** How an acquire ended; `warm` and `cold` hand over an instance, to be given back by release(). */
export type AcquireResult<I> =
  | { kind: 'warm'; instance: I }
  | { kind: 'cold'; instance: I; initDurationMs: number }
  | { kind: 'throttled'; inFlight: number; concurrency: number }
  | { kind: 'init-failed'; errorType: string; errorMessage: string; initDurationMs: number }
  | { kind: 'closed' };

export interface InstancePoolCounters {
  /** Instances started successfully for an invocation: Lambda's cold starts. */
  coldStarts: number;
  /** Invocations served by an idle instance. */
  warmStarts: number;
  /** Starts whose INIT failed (the invocation that asked fails with it). */
  initFailures: number;
  /** Invocations refused at the concurrency limit. */
  throttled: number;
  /** Idle instances stopped by the keep-alive. */
  reaped: number;
  /** Instances stopped for any other reason: a fatal error, death, a configuration change, close. */
  retired: number;
  /** The most invocations running plus instances starting at once. */
  peakInFlight: number;
  /** The most instances alive (idle plus busy) at once. */
  peakInstances: number;
}

export interface InstancePoolUsage {
  idle: number;
  busy: number;
  starting: number;
  /** busy + starting: what the concurrency limit counts. */
  inFlight: number;
}

interface Slot {
  functionName: string;
  version: number;
  state: 'idle' | 'busy';
  reapTimer?: TimerId;
  /** Stopped while busy (at close): its release only forgets it. */
  stopOnRelease: boolean;
}

interface FunctionState<I, S> {
  spec: S;
  version: number;
  /** Least recently used first: acquire pops the end. */
  idle: I[];
  busy: Set<I>;
  starting: number;
  counters: InstancePoolCounters;
}

const zeroCounters = (): InstancePoolCounters => ({
  coldStarts: 0, warmStarts: 0, initFailures: 0, throttled: 0, reaped: 0, retired: 0, peakInFlight: 0, peakInstances: 0,
});

export class InstancePool<I, S> {
  private readonly functions = new Map<string, FunctionState<I, S>>();
  private readonly slots = new Map<I, Slot>();
  private readonly total = zeroCounters();
  private readonly totalUsage = { idle: 0, busy: 0, starting: 0 };
  private stopping = 0;
  private isClosed = false;
  private closeWaiters: (() => void)[] = [];
  private readonly isAlive: (instance: I) => boolean;

  constructor(private readonly options: InstancePoolOptions<I, S>) {
    if (!(Number.isInteger(options.concurrency) && options.concurrency >= 1)) {
      throw new FerryError('INVALID_ARGUMENT', `Expected an instance pool concurrency that is an integer >= 1, got ${options.concurrency}`);
    }
    if (!(Number.isFinite(options.keepAliveMs) && options.keepAliveMs >= 0)) {
      throw new FerryError('INVALID_ARGUMENT', `Expected an instance pool keepAliveMs that is a finite number >= 0, got ${options.keepAliveMs}`);
    }
    this.isAlive = options.isAlive ?? (() => true);
  }

  register(functionName: string, spec: S): void {
    if (this.functions.has(functionName)) {
      throw new FerryError('INVALID_ARGUMENT', `Expected a function name not yet in the instance pool, got "${functionName}" again (reconfigure changes one)`);
    }
    this.functions.set(functionName, { spec, version: 0, idle: [], busy: new Set(), starting: 0, counters: zeroCounters() });
  }

  has(functionName: string): boolean {
    return this.functions.has(functionName);
  }

  spec(functionName: string): S {
    return this.function(functionName).spec;
  }

  version(functionName: string): number {
    return this.function(functionName).version;
  }

  /**
   * New instances of the function get `spec`; idle instances of older versions stop now,
   * busy ones when released. `done` runs once the idle ones have stopped (at once if none).
   */
  reconfigure(functionName: string, spec: S, done?: () => void): void {
    const fn = this.function(functionName);
    fn.spec = spec;
    fn.version++;
    const retiring = fn.idle.splice(0);
    let left = retiring.length;
    if (left === 0) done?.();
    for (const instance of retiring) {
      this.leaveIdle(instance);
      this.slots.delete(instance);
      this.stop(fn, instance, 'retired', () => {
        if (--left === 0) done?.();
      });
    }
  }

  /** Finds an instance for one invocation of `functionName`, and answers by `done`. */
  acquire(functionName: string, done: (result: AcquireResult<I>) => void): void {
    const fn = this.function(functionName);
    if (this.isClosed) return done({ kind: 'closed' });
    const inFlight = this.inFlight;
    if (inFlight >= this.options.concurrency) {
      this.count(fn, 'throttled');
      return done({ kind: 'throttled', inFlight, concurrency: this.options.concurrency });
    }
    for (let instance = fn.idle.pop(); instance !== undefined; instance = fn.idle.pop()) {
      const slot = this.leaveIdle(instance);
      if (!this.isAlive(instance)) {
        this.slots.delete(instance);
        this.stop(fn, instance, 'retired');
        continue;
      }
      slot.state = 'busy';
      fn.busy.add(instance);
      this.totalUsage.busy++;
      this.count(fn, 'warmStarts');
      this.notePeaks(fn);
      return done({ kind: 'warm', instance });
    }
    this.coldStart(functionName, fn, done);
  }

  /**
   * Gives back an instance acquire() handed out. It goes back to idle (most recently used),
   * unless the invocation was fatal to it, it died, its version is old or the pool is closed.
   */
  release(instance: I, outcome: { fatal?: boolean } = {}): void {
    const slot = this.slots.get(instance);
    if (slot?.state !== 'busy') {
      throw new FerryError('INTERNAL_ERROR', `InstancePool.release: expected a busy instance of this pool, got ${slot ? 'an idle one' : 'one it does not know (released twice?)'}`);
    }
    const fn = this.function(slot.functionName);
    fn.busy.delete(instance);
    this.totalUsage.busy--;
    if (slot.stopOnRelease) {
      this.slots.delete(instance);
      return;
    }
    if (outcome.fatal || !this.isAlive(instance) || this.isClosed || slot.version !== fn.version) {
      this.slots.delete(instance);
      this.stop(fn, instance, 'retired');
      return;
    }
    slot.state = 'idle';
    fn.idle.push(instance);
    this.totalUsage.idle++;
    slot.reapTimer = this.options.clock.setTimer(this.options.keepAliveMs, () => this.reap(fn, instance), { background: true });
  }

  /**
   * Stops every instance, idle and busy (a busy one's invocation then fails, as when a
   * runtime shuts down), and every instance still starting once its start ends. Later
   * acquires answer `closed`. `done` runs when all of them are gone.
   */
  close(done?: () => void): void {
    if (!this.isClosed) {
      this.isClosed = true;
      for (const fn of this.functions.values()) {
        for (const instance of fn.idle.splice(0)) {
          this.leaveIdle(instance);
          this.slots.delete(instance);
          this.stop(fn, instance, 'retired');
        }
        for (const instance of fn.busy) {
          this.slots.get(instance)!.stopOnRelease = true;
          this.stop(fn, instance, 'retired');
        }
      }
    }
    if (done) this.closeWaiters.push(done);
    this.checkDrained();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Invocations running plus instances starting, across functions: what the limit counts. */
  get inFlight(): number {
    return this.totalUsage.busy + this.totalUsage.starting;
  }

  /** Instances of one function, or (without a name) counts across all functions. */
  usage(functionName?: string): InstancePoolUsage {
    if (functionName === undefined) {
      const { idle, busy, starting } = this.totalUsage;
      return { idle, busy, starting, inFlight: busy + starting };
    }
    const fn = this.function(functionName);
    return { idle: fn.idle.length, busy: fn.busy.size, starting: fn.starting, inFlight: fn.busy.size + fn.starting };
  }

  /** The instances themselves (idle least recently used first), e.g. to list their processes. */
  instances(functionName: string): { idle: I[]; busy: I[]; starting: number } {
    const fn = this.function(functionName);
    return { idle: [...fn.idle], busy: [...fn.busy], starting: fn.starting };
  }

  /** Counters of one function, or (without a name) of the whole pool (its peaks are of the sum). */
  counters(functionName?: string): Readonly<InstancePoolCounters> {
    return { ...(functionName === undefined ? this.total : this.function(functionName).counters) };
  }

  private coldStart(functionName: string, fn: FunctionState<I, S>, done: (result: AcquireResult<I>) => void): void {
    const version = fn.version;
    fn.starting++;
    this.totalUsage.starting++;
    this.notePeaks(fn);
    let answered = false;
    this.options.startInstance({ functionName, spec: fn.spec, version }, (result) => {
      if (answered) throw new FerryError('INTERNAL_ERROR', `InstancePool: startInstance of "${functionName}" answered twice; expected once`);
      answered = true;
      fn.starting--;
      this.totalUsage.starting--;
      if (!result.ok) {
        this.count(fn, 'initFailures');
        this.checkDrained();
        return done({ kind: 'init-failed', errorType: result.errorType, errorMessage: result.errorMessage, initDurationMs: result.initDurationMs });
      }
      if (this.isClosed) {
        this.stop(fn, result.instance, 'retired');
        return done({ kind: 'closed' });
      }
      this.slots.set(result.instance, { functionName, version, state: 'busy', stopOnRelease: false });
      fn.busy.add(result.instance);
      this.totalUsage.busy++;
      this.count(fn, 'coldStarts');
      this.notePeaks(fn);
      done({ kind: 'cold', instance: result.instance, initDurationMs: result.initDurationMs });
    });
  }

  private reap(fn: FunctionState<I, S>, instance: I): void {
    // Only idle instances have a keep-alive timer: taking one cancels it.
    fn.idle.splice(fn.idle.indexOf(instance), 1);
    this.leaveIdle(instance);
    this.slots.delete(instance);
    this.stop(fn, instance, 'reaped');
  }

  /** Cancels an idle instance's keep-alive and drops it from the idle count (the caller takes it out of fn.idle). */
  private leaveIdle(instance: I): Slot {
    const slot = this.slots.get(instance)!;
    if (slot.reapTimer !== undefined) this.options.clock.cancel(slot.reapTimer);
    slot.reapTimer = undefined;
    this.totalUsage.idle--;
    return slot;
  }

  private stop(fn: FunctionState<I, S>, instance: I, reason: 'reaped' | 'retired', then?: () => void): void {
    this.count(fn, reason);
    this.stopping++;
    let stopped = false;
    this.options.stopInstance(instance, () => {
      if (stopped) return;
      stopped = true;
      this.stopping--;
      then?.();
      this.checkDrained();
    });
  }

  private checkDrained(): void {
    if (!this.isClosed || this.stopping > 0 || this.totalUsage.starting > 0) return;
    for (const done of this.closeWaiters.splice(0)) done();
  }

  private count(fn: FunctionState<I, S>, key: Exclude<keyof InstancePoolCounters, 'peakInFlight' | 'peakInstances'>): void {
    fn.counters[key]++;
    this.total[key]++;
  }

  private notePeaks(fn: FunctionState<I, S>): void {
    const usage = this.totalUsage;
    fn.counters.peakInFlight = Math.max(fn.counters.peakInFlight, fn.busy.size + fn.starting);
    fn.counters.peakInstances = Math.max(fn.counters.peakInstances, fn.busy.size + fn.idle.length);
    this.total.peakInFlight = Math.max(this.total.peakInFlight, usage.busy + usage.starting);
    this.total.peakInstances = Math.max(this.total.peakInstances, usage.busy + usage.idle);
  }

  private function(functionName: string): FunctionState<I, S> {
    const fn = this.functions.get(functionName);
    if (!fn) throw new FerryError('INVALID_ARGUMENT', `Expected a function registered with the instance pool, got "${functionName}"`);
    return fn;
  }
}
