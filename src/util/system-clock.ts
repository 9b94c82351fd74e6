import type { Clock, TimerId } from '../core/clock.js';

/** The real clock: monotonic milliseconds and Node timers (unref'd: a timer alone keeps nothing alive). */
export function systemClock(): Clock {
  let nextId = 1;
  const timers = new Map<TimerId, NodeJS.Timeout>();
  return {
    nowMs: () => performance.now(),
    setTimer: (delayMs, fn) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        timers.delete(id);
        fn();
      }, Math.max(0, delayMs));
      timers.set(id, timer);
      return id;
    },
    cancel: (id) => {
      clearTimeout(timers.get(id));
      timers.delete(id);
    },
  };
}
