import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/virtual-clock.js';
import { InstancePool, type AcquireResult, type StartRequest } from './instance-pool.js';

interface FakeSpec {
  memoryMb: number;
  initMs: number;
  /** INIT fails with this error type. */
  failInit?: string;
}

interface FakeInstance {
  id: number;
  functionName: string;
  memoryMb: number;
  version: number;
  alive: boolean;
  stopped: boolean;
}

/** A pool on a virtual clock whose instances start after spec.initMs and stop after stopMs. */
function harness(options: { concurrency?: number; keepAliveMs?: number; stopMs?: number } = {}) {
  const clock = new VirtualClock();
  const started: StartRequest<FakeSpec>[] = [];
  const stopped: FakeInstance[] = [];
  let nextId = 1;
  const pool = new InstancePool<FakeInstance, FakeSpec>({
    clock,
    concurrency: options.concurrency ?? 4,
    keepAliveMs: options.keepAliveMs ?? 1000,
    startInstance: (request, done) => {
      started.push(request);
      clock.setTimer(request.spec.initMs, () => {
        if (request.spec.failInit) {
          done({ ok: false, errorType: request.spec.failInit, errorMessage: 'INIT failed', initDurationMs: request.spec.initMs });
          return;
        }
        const instance = { id: nextId++, functionName: request.functionName, memoryMb: request.spec.memoryMb, version: request.version, alive: true, stopped: false };
        done({ ok: true, instance, initDurationMs: request.spec.initMs });
      });
    },
    stopInstance: (instance, done) => {
      stopped.push(instance);
      clock.setTimer(options.stopMs ?? 0, () => {
        instance.alive = false;
        instance.stopped = true;
        done();
      });
    },
    isAlive: (instance) => instance.alive,
  });
  pool.register('f', { memoryMb: 1769, initMs: 100 });
  pool.register('g', { memoryMb: 1024, initMs: 100 });
  /** Acquires; the result lands in the returned box when the pool answers. */
  const acquire = (name = 'f') => {
    const box: { result?: AcquireResult<FakeInstance> } = {};
    pool.acquire(name, (result) => {
      expect(box.result).toBeUndefined();
      box.result = result;
    });
    return box;
  };
  const instanceOf = (box: { result?: AcquireResult<FakeInstance> }): FakeInstance => {
    const result = box.result;
    if (result?.kind !== 'warm' && result?.kind !== 'cold') throw new Error(`expected an instance, got ${JSON.stringify(result)}`);
    return result.instance;
  };
  return { clock, pool, started, stopped, acquire, instanceOf };
}

describe('InstancePool', () => {
  it('starts cold when nothing is idle, then reuses the most recently used idle instance', () => {
    const { clock, pool, acquire, instanceOf } = harness();
    const a = acquire();
    const b = acquire();
    expect(a.result).toBeUndefined();
    expect(pool.usage('f')).toEqual({ idle: 0, busy: 0, starting: 2, inFlight: 2 });
    clock.advance(100);
    expect(a.result).toMatchObject({ kind: 'cold', initDurationMs: 100 });
    expect(b.result).toMatchObject({ kind: 'cold' });
    const [first, second] = [instanceOf(a), instanceOf(b)];
    pool.release(first);
    clock.advance(10);
    pool.release(second);
    expect(pool.instances('f').idle).toEqual([first, second]);
    // The warm answer comes at once, before acquire returns: no time passes for a warm start.
    const c = acquire();
    expect(c.result).toEqual({ kind: 'warm', instance: second });
    const d = acquire();
    expect(d.result).toEqual({ kind: 'warm', instance: first });
    expect(pool.counters('f')).toMatchObject({ coldStarts: 2, warmStarts: 2, peakInFlight: 2, peakInstances: 2 });
  });

  it('throttles at the limit, counting instances still starting and every function', () => {
    const { clock, pool, acquire, instanceOf } = harness({ concurrency: 2 });
    const a = acquire('f');
    const b = acquire('g');
    expect(acquire('f').result).toEqual({ kind: 'throttled', inFlight: 2, concurrency: 2 });
    clock.advance(100);
    expect(acquire('g').result).toMatchObject({ kind: 'throttled' });
    pool.release(instanceOf(a));
    // One slot free: f's idle instance serves; then the limit is reached again, idle or not.
    expect(acquire('f').result).toMatchObject({ kind: 'warm' });
    pool.release(instanceOf(b));
    const g = acquire('g');
    expect(g.result).toMatchObject({ kind: 'warm' });
    expect(acquire('g').result).toMatchObject({ kind: 'throttled' });
    expect(pool.inFlight).toBe(2);
    expect(pool.counters()).toMatchObject({ throttled: 3, peakInFlight: 2 });
    expect(pool.counters('g')).toMatchObject({ throttled: 2 });
  });

  it('reaps an idle instance exactly keepAliveMs after its last release, and reuse restarts the wait', () => {
    const { clock, pool, stopped, acquire, instanceOf } = harness({ keepAliveMs: 1000 });
    const a = acquire();
    clock.advance(100);
    const instance = instanceOf(a);
    pool.release(instance);
    clock.advance(500);
    pool.release(instanceOf(acquire()));
    clock.advance(999);
    expect(pool.usage('f').idle).toBe(1);
    expect(stopped).toEqual([]);
    clock.advance(1);
    expect(clock.nowMs()).toBe(1600);
    expect(pool.usage('f').idle).toBe(0);
    expect(stopped).toEqual([instance]);
    expect(pool.counters('f')).toMatchObject({ reaped: 1, retired: 0 });
    expect(acquire().result).toBeUndefined();
    clock.advance(100);
    expect(pool.counters('f').coldStarts).toBe(2);
    // Nothing is left armed: a busy instance has no keep-alive timer.
    expect(clock.pending).toBe(0);
  });

  it('a configuration change retires idle instances at once and busy ones on release', () => {
    const { clock, pool, stopped, started, acquire, instanceOf } = harness({ stopMs: 50 });
    const [a, b] = [acquire(), acquire()];
    clock.advance(100);
    const [idle, busy] = [instanceOf(a), instanceOf(b)];
    const starting = acquire();
    pool.release(idle);
    let reconfigured = false;
    pool.reconfigure('f', { memoryMb: 1024, initMs: 100 }, () => (reconfigured = true));
    expect(pool.version('f')).toBe(1);
    expect(stopped).toEqual([idle]);
    expect(reconfigured).toBe(false);
    clock.advance(50);
    expect(reconfigured).toBe(true);
    clock.advance(50);
    // Started under version 0, it serves the invocation it was started for, then retires.
    const old = instanceOf(starting);
    expect(old).toMatchObject({ memoryMb: 1769, version: 0 });
    pool.release(old);
    pool.release(busy);
    expect(stopped).toEqual([idle, old, busy]);
    expect(pool.usage('f')).toEqual({ idle: 0, busy: 0, starting: 0, inFlight: 0 });
    const fresh = acquire();
    clock.advance(100);
    expect(instanceOf(fresh)).toMatchObject({ memoryMb: 1024, version: 1 });
    expect(started.at(-1)).toMatchObject({ functionName: 'f', version: 1, spec: { memoryMb: 1024 } });
    expect(pool.counters('f').retired).toBe(3);
  });

  it('answers an INIT failure to the invocation that started it, and frees its slot', () => {
    const { clock, pool, acquire } = harness({ concurrency: 1 });
    pool.reconfigure('f', { memoryMb: 128, initMs: 10_000, failInit: 'Runtime.InitError' });
    const a = acquire();
    expect(pool.inFlight).toBe(1);
    clock.advance(10_000);
    expect(a.result).toEqual({ kind: 'init-failed', errorType: 'Runtime.InitError', errorMessage: 'INIT failed', initDurationMs: 10_000 });
    expect(pool.inFlight).toBe(0);
    expect(pool.counters('f')).toMatchObject({ initFailures: 1, coldStarts: 0 });
    expect(acquire('g').result).toBeUndefined();
  });

  it('skips and retires an idle instance that died, and one whose invocation was fatal', () => {
    const { clock, pool, stopped, acquire, instanceOf } = harness();
    const [a, b] = [acquire(), acquire()];
    clock.advance(100);
    const [first, second] = [instanceOf(a), instanceOf(b)];
    pool.release(first);
    pool.release(second);
    second.alive = false;
    expect(acquire().result).toEqual({ kind: 'warm', instance: first });
    expect(stopped).toEqual([second]);
    pool.release(first, { fatal: true });
    expect(stopped).toEqual([second, first]);
    expect(pool.usage()).toEqual({ idle: 0, busy: 0, starting: 0, inFlight: 0 });
    expect(() => pool.release(first)).toThrow(/expected a busy instance of this pool/);
  });

  it('close stops idle, busy and starting instances, and says when all are gone', () => {
    const { clock, pool, stopped, acquire, instanceOf } = harness({ stopMs: 20 });
    const [a, b] = [acquire(), acquire()];
    clock.advance(100);
    const [idle, busy] = [instanceOf(a), instanceOf(b)];
    const starting = acquire();
    pool.release(idle);
    let closed = false;
    pool.close(() => (closed = true));
    expect(stopped).toEqual([idle, busy]);
    expect(acquire().result).toEqual({ kind: 'closed' });
    clock.advance(20);
    expect(closed).toBe(false);
    // The busy instance's invocation ends (it failed: its instance was stopped); no second stop.
    pool.release(busy);
    clock.advance(80);
    expect(starting.result).toEqual({ kind: 'closed' });
    expect(stopped).toHaveLength(3);
    expect(closed).toBe(false);
    clock.advance(20);
    expect(closed).toBe(true);
    expect(stopped.every((instance) => instance.stopped)).toBe(true);
    expect(pool.usage()).toEqual({ idle: 0, busy: 0, starting: 0, inFlight: 0 });
  });

  it('works with a factory that answers synchronously (a zero-delay model)', () => {
    const clock = new VirtualClock();
    let id = 0;
    const pool = new InstancePool<{ id: number }, null>({
      clock, concurrency: 1, keepAliveMs: 5,
      startInstance: (_request, done) => done({ ok: true, instance: { id: ++id }, initDurationMs: 0 }),
      stopInstance: (_instance, done) => done(),
    });
    pool.register('f', null);
    const results: AcquireResult<{ id: number }>[] = [];
    pool.acquire('f', (result) => results.push(result));
    expect(results).toEqual([{ kind: 'cold', instance: { id: 1 }, initDurationMs: 0 }]);
    pool.release((results[0] as { instance: { id: number } }).instance);
    let closed = false;
    pool.close(() => (closed = true));
    expect(closed).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('rejects bad options, unknown functions and duplicate names', () => {
    const base = { clock: new VirtualClock(), startInstance: () => undefined, stopInstance: () => undefined };
    expect(() => new InstancePool({ ...base, concurrency: 0, keepAliveMs: 1 })).toThrow(/integer >= 1, got 0/);
    expect(() => new InstancePool({ ...base, concurrency: 1, keepAliveMs: Number.NaN })).toThrow(/finite number >= 0, got NaN/);
    const { pool } = harness();
    expect(() => pool.acquire('nope', () => undefined)).toThrow(/registered with the instance pool, got "nope"/);
    expect(() => pool.register('f', { memoryMb: 1, initMs: 1 })).toThrow(/"f" again/);
  });
});
