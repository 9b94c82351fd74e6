import { describe, expect, it } from 'vitest';
import { Rng } from './random.js';
import { VirtualClock } from './virtual-clock.js';

describe('VirtualClock', () => {
  it('fires timers in time order, then creation order, and only when advanced', () => {
    const clock = new VirtualClock(100);
    const fired: string[] = [];
    clock.setTimer(20, () => fired.push('b'));
    clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(20, () => fired.push('c'));
    const cancelled = clock.setTimer(15, () => fired.push('x'));
    clock.cancel(cancelled);
    expect(clock.advance(19)).toBe(1);
    expect(fired).toEqual(['a']);
    expect(clock.nowMs()).toBe(119);
    expect(clock.advance(1)).toBe(2);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('orders 2,000 random timers exactly as a sort by (time, priority, creation) does', () => {
    const clock = new VirtualClock();
    const rng = new Rng(7);
    const expected: { atMs: number; priority: number; seq: number }[] = [];
    const fired: number[] = [];
    for (let seq = 0; seq < 2000; seq++) {
      // Few distinct times and priorities, so that ties are common.
      const atMs = rng.int(50);
      const priority = rng.int(3) - 1;
      expected.push({ atMs, priority, seq });
      const id = clock.setTimer(atMs, () => fired.push(seq), { priority });
      if (seq % 7 === 0) {
        clock.cancel(id);
        expected.pop();
      }
    }
    expect(clock.pending).toBe(expected.length);
    clock.advance(100);
    expected.sort((a, b) => a.atMs - b.atMs || a.priority - b.priority || a.seq - b.seq);
    expect(fired).toEqual(expected.map((e) => e.seq));
    expect(clock.pending).toBe(0);
  });

  it('breaks ties at one instant by priority (lower first), then by creation', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(5, () => fired.push('default-1'));
    clock.setTimer(5, () => fired.push('late'), { priority: 1 });
    clock.setTimer(5, () => fired.push('early'), { priority: -1 });
    clock.setTimer(5, () => fired.push('default-2'), { priority: 0, background: true });
    clock.advance(5);
    expect(fired).toEqual(['early', 'default-1', 'default-2', 'late']);
  });

  it('lets a timer arm another inside the same advance, at or after the current time', () => {
    const clock = new VirtualClock();
    const times: number[] = [];
    clock.setTimer(5, () => {
      times.push(clock.nowMs());
      clock.setTimer(5, () => times.push(clock.nowMs()));
      clock.setTimer(-3, () => times.push(clock.nowMs()));
    });
    clock.advance(10);
    expect(times).toEqual([5, 5, 10]);
  });

  it('cancels the head, a middle timer, twice, after firing, and ignores another clock\'s timer', () => {
    const clock = new VirtualClock();
    const other = new VirtualClock();
    const fired: number[] = [];
    const ids = [10, 20, 30, 40].map((delayMs) => clock.setTimer(delayMs, () => fired.push(delayMs)));
    const foreign = other.setTimer(10, () => fired.push(-1));
    clock.cancel(ids[0]!);
    expect(clock.nextDueMs()).toBe(20);
    clock.cancel(ids[0]!);
    clock.cancel(ids[2]!);
    clock.cancel(foreign);
    expect(clock.pending).toBe(2);
    expect(other.pending).toBe(1);
    expect(clock.step()).toBe(true);
    clock.cancel(ids[1]!);
    expect(clock.pending).toBe(1);
    clock.advance(100);
    expect(fired).toEqual([20, 40]);
    expect(clock.pending).toBe(0);
  });

  it('steps one timer at a time, moving time to it, and reports what is next', () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    expect(clock.nextDueMs()).toBeUndefined();
    expect(clock.step()).toBe(false);
    expect(clock.nowMs()).toBe(1000);
    clock.setTimer(30, () => fired.push('b'));
    clock.setTimer(10, () => fired.push('a'));
    expect(clock.nextDueMs()).toBe(1010);
    expect(clock.step()).toBe(true);
    expect([fired, clock.nowMs(), clock.nextDueMs()]).toEqual([['a'], 1010, 1030]);
    expect(clock.step()).toBe(true);
    expect([fired, clock.nowMs(), clock.nextDueMs()]).toEqual([['a', 'b'], 1030, undefined]);
    expect(clock.step()).toBe(false);
  });

  it('runUntil fires everything due up to and including the target, and never goes back', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    for (const delayMs of [5, 10, 11]) clock.setTimer(delayMs, () => fired.push(delayMs));
    expect(clock.runUntil(10)).toBe(2);
    expect(clock.nowMs()).toBe(10);
    expect(clock.advanceTo(3)).toBe(0);
    expect(clock.nowMs()).toBe(10);
    expect(fired).toEqual([5, 10]);
  });

  it('rejects non-finite delays, priorities and targets with a RangeError', () => {
    const clock = new VirtualClock();
    for (const delayMs of [Number.NaN, Infinity, -Infinity]) {
      expect(() => clock.setTimer(delayMs, () => undefined)).toThrow(RangeError);
    }
    expect(() => clock.setTimer(1, () => undefined, { priority: Number.NaN })).toThrow(/finite priority, got NaN/);
    expect(() => clock.advanceTo(Infinity)).toThrow(RangeError);
    expect(() => new VirtualClock(0, 0)).toThrow(/loopLimit/);
    expect(clock.pending).toBe(0);
  });

  it('throws when timers keep firing at one instant, and keeps its state consistent', () => {
    const clock = new VirtualClock(0, 50);
    let fired = 0;
    const rearm = () => {
      fired++;
      clock.setTimer(0, rearm);
    };
    clock.setTimer(1, rearm);
    expect(() => clock.advance(1)).toThrow(/more than 50 timers fired at 1 ms without time advancing/);
    expect(fired).toBe(50);
    expect(clock.pending).toBe(1);
    expect(() => clock.step()).toThrow(/more than 50 timers/);
  });

  it('does not count timers that fire as time advances against the loop limit', () => {
    const clock = new VirtualClock(0, 3);
    let fired = 0;
    const tick = () => {
      if (++fired < 10_000) clock.setTimer(1, tick);
    };
    clock.setTimer(1, tick);
    expect(clock.advance(20_000)).toBe(10_000);
    expect(clock.pending).toBe(0);
    // Three at one instant are allowed; a fourth is a loop.
    for (let i = 0; i < 3; i++) clock.setTimer(5, () => undefined);
    clock.advance(5);
    for (let i = 0; i < 4; i++) clock.setTimer(5, () => undefined);
    expect(() => clock.advance(5)).toThrow(/more than 3 timers/);
  });
});
