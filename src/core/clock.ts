/**
 * The one source of time for ferry's control code. The live gateway gets the system clock
 * (src/util/system-clock.ts), tests and the simulator a virtual one, so the batcher, the
 * dispatcher's timers and the tuner are the same objects in both.
 */
declare const timerBrand: unique symbol;
/** Opaque: whatever the clock uses to find the timer again (the live clock: Node's own Timeout). */
export type TimerId = { readonly [timerBrand]: true };

export interface Clock {
  /** Milliseconds on a monotonic scale (not wall-clock time of day). */
  nowMs(): number;
  /**
   * Calls `fn` once, `delayMs` from now (0 or less: as soon as possible). A `background`
   * timer (a watchdog) does not by itself keep the process alive: the live clock unrefs it;
   * a virtual clock fires it like any other.
   */
  setTimer(delayMs: number, fn: () => void, options?: { background?: boolean }): TimerId;
  cancel(id: TimerId): void;
}
