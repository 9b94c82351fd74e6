import { describe, expect, it } from 'vitest';
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
    clock.advance(19);
    expect(fired).toEqual(['a']);
    expect(clock.nowMs()).toBe(119);
    clock.advance(1);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('lets a timer arm another inside the same advance', () => {
    const clock = new VirtualClock();
    const times: number[] = [];
    clock.setTimer(5, () => {
      times.push(clock.nowMs());
      clock.setTimer(5, () => times.push(clock.nowMs()));
    });
    clock.advance(10);
    expect(times).toEqual([5, 10]);
  });

  it('throws instead of looping forever', () => {
    const clock = new VirtualClock(0, 50);
    const rearm = () => clock.setTimer(0, rearm);
    rearm();
    expect(() => clock.advance(1)).toThrow(/more than 50 timers/);
  });
});
