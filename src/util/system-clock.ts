import { performance } from 'node:perf_hooks';
import type { Clock, TimerId } from '../core/clock.js';

/**
 * The real clock: monotonic milliseconds and Node timers. The TimerId is Node's Timeout
 * itself, so cancelling needs no lookup; `performance` is imported rather than read from
 * the global, which Node 20 defines as a lazy getter (the gateway reads the clock several
 * times per request).
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
