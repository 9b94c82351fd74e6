import { describe, expect, it } from 'vitest';
import { TimeoutQueue } from './timeout-queue.js';
import { VirtualClock } from './virtual-clock.js';

describe('TimeoutQueue', () => {
  it('fires each timeout at its own deadline, on one timer', () => {
    const clock = new VirtualClock();
    const queue = new TimeoutQueue(clock, 100);
    const fired: Array<[string, number]> = [];
    queue.start(() => fired.push(['a', clock.nowMs()]));
    clock.advance(30);
    queue.start(() => fired.push(['b', clock.nowMs()]));
    clock.advance(10);
    queue.start(() => fired.push(['c', clock.nowMs()]));
    expect(clock.pending).toBe(1);
    clock.advance(200);
    expect(fired).toEqual([['a', 100], ['b', 130], ['c', 140]]);
    expect(clock.pending).toBe(0);
  });

  it('never fires a cleared timeout, and still fires the ones behind it on time', () => {
    const clock = new VirtualClock();
    const queue = new TimeoutQueue(clock, 100);
    const fired: string[] = [];
    const a = queue.start(() => fired.push('a'));
    clock.advance(50);
    const b = queue.start(() => fired.push('b'));
    clock.advance(20);
    queue.start(() => fired.push(`c@${clock.nowMs()}`));
    a.clear();
    b.clear();
    b.clear();
    expect(queue.running).toBe(1);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['c@170']);
  });

  it('arms a background timer and, with nothing left running, lets it fire idle and not re-arm', () => {
    const clock = new VirtualClock();
    const armed: Array<{ background?: boolean } | undefined> = [];
    const setTimer = clock.setTimer.bind(clock);
    clock.setTimer = (delayMs, fn, options) => (armed.push(options), setTimer(delayMs, fn, options));
    const queue = new TimeoutQueue(clock, 1000);
    const timeouts = [queue.start(() => undefined), queue.start(() => undefined)];
    for (const timeout of timeouts) timeout.clear();
    expect(queue.running).toBe(0);
    // Work flowing through an empty queue re-uses the armed timer: no arm per timeout.
    for (let i = 0; i < 10; i++) queue.start(() => undefined).clear();
    expect(armed).toEqual([{ background: true }]);
    clock.advance(1000);
    expect(clock.pending).toBe(0);
  });

  it('keeps deadlines right when a firing timeout starts another one', () => {
    const clock = new VirtualClock();
    const queue = new TimeoutQueue(clock, 100);
    const fired: Array<[string, number]> = [];
    queue.start(() => {
      fired.push(['a', clock.nowMs()]);
      queue.start(() => fired.push(['retry', clock.nowMs()]));
    });
    clock.advance(10);
    queue.start(() => fired.push(['b', clock.nowMs()]));
    clock.advance(500);
    expect(fired).toEqual([['a', 100], ['b', 110], ['retry', 200]]);
    expect(clock.pending).toBe(0);
  });

  it('holds memory bounded over a long stream of cleared timeouts', () => {
    const clock = new VirtualClock();
    const queue = new TimeoutQueue(clock, 30_000);
    const open = [];
    for (let i = 0; i < 100_000; i++) {
      open.push(queue.start(() => { throw new Error('no timeout should fire'); }));
      // Finish out of order, four in flight at a time.
      if (open.length === 4) open.splice(i % 4, 1)[0]!.clear();
      clock.advance(0.1);
    }
    for (const timeout of open) timeout.clear();
    expect(queue.running).toBe(0);
    expect((queue as unknown as { entries: unknown[] }).entries.length).toBe(0);
  });

  it('refuses a timeout that is not positive', () => {
    expect(() => new TimeoutQueue(new VirtualClock(), 0)).toThrow(/positive timeout/);
  });
});
