import type { Clock, TimerId } from '../core/clock.js';

/**
 * The real clock: monotonic milliseconds and Node timers. The TimerId is Node's Timeout
 * itself, so arming and cancelling (once per invocation, for its timeout) need no lookup.
 */
export function systemClock(): Clock {
  return {
    nowMs: () => performance.now(),
    setTimer: (delayMs, fn, options) => {
      const timer = setTimeout(fn, Math.max(0, delayMs));
      if (options?.background) timer.unref();
      return timer as unknown as TimerId;
    },
    cancel: (id) => clearTimeout(id as unknown as NodeJS.Timeout),
  };
}
