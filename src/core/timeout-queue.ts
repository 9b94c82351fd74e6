import type { Clock, TimerId } from './clock.js';

/** A running timeout: `clear` it when the work finished in time. */
export interface Timeout {
  clear(): void;
}

class Entry implements Timeout {
  constructor(
    readonly deadlineMs: number,
    public onTimeout: (() => void) | undefined,
    private readonly queue: TimeoutQueue,
  ) {}

  clear(): void {
    if (!this.onTimeout) return;
    this.onTimeout = undefined;
    this.queue.dropFinishedHead();
  }
}

/**
 * Timeouts that all last `timeoutMs`, on one clock timer. Since every timeout has the same
 * length, deadlines fall in the order the timeouts started: a FIFO holds them, and the one
 * timer is armed for the oldest one still running. A cleared timeout is only marked; it
 * leaves the FIFO once it reaches the head. The dispatcher starts one per invocation, and
 * at thousands of invocations per second a Node timer each (arm, then cancel) was a
 * measurable share of the gateway's cost per request; here the timer is re-armed only when
 * it fires, about once per `timeoutMs` while work keeps flowing. It is a background timer
 * (it never keeps the process alive by itself): once nothing is running it is left to fire
 * and find nothing to do, rather than being cancelled and re-armed around every invocation.
 *
 * Each timeout still fires at its own deadline, exactly on a virtual clock.
 */
export class TimeoutQueue {
  private entries: Entry[] = [];
  private head = 0;
  private timer: TimerId | undefined;

  constructor(
    private readonly clock: Clock,
    readonly timeoutMs: number,
  ) {
    if (!(timeoutMs > 0)) throw new RangeError(`Expected a positive timeout, got ${timeoutMs} ms`);
  }

  /** Timeouts started and neither cleared nor fired yet. */
  get running(): number {
    let count = 0;
    for (let i = this.head; i < this.entries.length; i++) if (this.entries[i]!.onTimeout) count++;
    return count;
  }

  /**
   * Calls `onTimeout` `timeoutMs` after `nowMs` (the clock's now, which a caller that just
   * read it may pass) unless the returned timeout is cleared first.
   */
  start(onTimeout: () => void, nowMs = this.clock.nowMs()): Timeout {
    const entry = new Entry(nowMs + this.timeoutMs, onTimeout, this);
    this.entries.push(entry);
    // An armed timer is due no later than this deadline (it is armed for an earlier start).
    this.timer ??= this.arm(this.timeoutMs);
    return entry;
  }

  /** Pops cleared timeouts off the head (called by Entry.clear). */
  dropFinishedHead(): void {
    while (this.head < this.entries.length && !this.entries[this.head]!.onTimeout) this.head++;
    this.compact();
  }

  private arm(delayMs: number): TimerId {
    return this.clock.setTimer(delayMs, () => this.fire(), { background: true });
  }

  private fire(): void {
    this.timer = undefined;
    const nowMs = this.clock.nowMs();
    const due: Array<() => void> = [];
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      if (entry.onTimeout && entry.deadlineMs > nowMs) break;
      this.head++;
      if (entry.onTimeout) due.push(entry.onTimeout);
      entry.onTimeout = undefined;
    }
    this.compact();
    const next = this.entries[this.head];
    if (next) this.timer = this.arm(next.deadlineMs - nowMs);
    // Callbacks last, on a consistent queue: one that starts a new timeout finds the timer armed.
    for (const onTimeout of due) onTimeout();
  }

  /** Forgets the popped prefix once it is most of the array (amortized O(1) per timeout). */
  private compact(): void {
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
