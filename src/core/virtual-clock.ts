import type { Clock, TimerId } from './clock.js';

interface PendingTimer {
  /** Creation order: the tie-break between timers due at the same instant. */
  id: number;
  atMs: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in order of time, then of creation,
 * so a run is deterministic. `advance` refuses to loop forever (like fake-timers' loop
 * limit): a timer that keeps re-arming itself at the same instant throws.
 */
export class VirtualClock implements Clock {
  private now: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(startMs = 0, private readonly loopLimit = 100_000) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  /** Background timers are timers like any other here: nothing is kept alive by a virtual clock. */
  setTimer(delayMs: number, fn: () => void, _options?: { background?: boolean }): TimerId {
    const timer: PendingTimer = { id: this.nextId++, atMs: this.now + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    return timer as unknown as TimerId;
  }

  cancel(id: TimerId): void {
    this.timers = this.timers.filter((timer) => timer !== (id as unknown as PendingTimer));
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void {
    this.advanceTo(this.now + ms);
  }

  advanceTo(targetMs: number): void {
    let fired = 0;
    for (;;) {
      const next = this.nextDue(targetMs);
      if (!next) break;
      if (++fired > this.loopLimit) throw new Error(`VirtualClock: more than ${this.loopLimit} timers fired in one advance`);
      this.timers = this.timers.filter((timer) => timer.id !== next.id);
      this.now = next.atMs;
      next.fn();
    }
    this.now = Math.max(this.now, targetMs);
  }

  private nextDue(targetMs: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const timer of this.timers) {
      if (timer.atMs > targetMs) continue;
      if (!best || timer.atMs < best.atMs || (timer.atMs === best.atMs && timer.id < best.id)) best = timer;
    }
    return best;
  }
}
