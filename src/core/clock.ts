/**
 * The one source of time for ferry's control code. The live gateway gets the system clock
 * (src/util/system-clock.ts), tests and the simulator a virtual one, so the batcher, the
 * dispatcher's timers and the tuner are the same objects in both.
 */
export type TimerId = number;

export interface Clock {
  /** Milliseconds on a monotonic scale (not wall-clock time of day). */
  nowMs(): number;
  /** Calls `fn` once, `delayMs` from now (0 or less: as soon as possible). */
  setTimer(delayMs: number, fn: () => void): TimerId;
  cancel(id: TimerId): void;
}
