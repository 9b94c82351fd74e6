import type { Clock, TimerId } from './clock.js';

/** What a VirtualClock's TimerId is underneath: the heap entry itself, so cancel needs no search. */
interface PendingTimer {
  atMs: number;
  /** Lower fires first among timers due at the same instant. */
  priority: number;
  /** Creation order: the last tie-break, so equal (time, priority) fire as they were set. */
  seq: number;
  fn: () => void;
  /** Position in the heap; -1 once fired or cancelled (cancelling again is then a no-op). */
  index: number;
}

/** setTimer's options on a virtual clock. */
export interface VirtualTimerOptions {
  /** Accepted for the Clock interface; nothing is kept alive by a virtual clock, so it changes nothing. */
  background?: boolean;
  /** Among timers due at the same instant, lower fires first (any finite number). @default 0 */
  priority?: number;
}

/**
 * A clock that moves only when told to, fit to drive an event engine. Timers live in a
 * binary min-heap ordered by (time, priority, creation), so a run is deterministic and
 * set, cancel and fire each cost O(log n). Each entry knows its heap index (an indexed
 * heap): cancel removes it at once, so `pending` is exact and a set-then-cancel pattern
 * (a timeout that rarely fires) leaves no garbage behind.
 *
 * A loop limit (like fake-timers') catches a timer that keeps re-arming itself without
 * time moving: more than `loopLimit` timers firing at one instant throws. Timers that fire
 * while time advances are never counted against it, however many an advance fires.
 */
export class VirtualClock implements Clock {
  private now: number;
  private nextSeq = 0;
  private readonly heap: PendingTimer[] = [];
  /** The instant the last timer fired at, and how many fired there in a row. */
  private instantMs = Number.NaN;
  private firedAtInstant = 0;

  /**
   * @param startMs the clock's reading before anything advances it. @default 0
   * @param loopLimit timers that may fire at one instant before the clock throws. @default 100000
   */
  constructor(startMs = 0, private readonly loopLimit = 100_000) {
    if (!Number.isFinite(startMs)) throw new RangeError(`VirtualClock: expected a finite startMs, got ${startMs}`);
    if (!(Number.isInteger(loopLimit) && loopLimit >= 1)) {
      throw new RangeError(`VirtualClock: expected a loopLimit that is an integer >= 1, got ${loopLimit}`);
    }
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  /**
   * Arms `fn` for `delayMs` from now (a negative delay counts as 0: due now, fired by the
   * next step or advance, never inside this call).
   * @throws RangeError on a delay or priority that is NaN or infinite: a timer that can
   * never fire (or fires at once by accident) is a bug at the caller.
   */
  setTimer(delayMs: number, fn: () => void, options?: VirtualTimerOptions): TimerId {
    if (!Number.isFinite(delayMs)) throw new RangeError(`VirtualClock.setTimer: expected a finite delayMs, got ${delayMs}`);
    const priority = options?.priority ?? 0;
    if (!Number.isFinite(priority)) throw new RangeError(`VirtualClock.setTimer: expected a finite priority, got ${priority}`);
    const timer: PendingTimer = { atMs: this.now + Math.max(0, delayMs), priority, seq: this.nextSeq++, fn, index: this.heap.length };
    this.heap.push(timer);
    this.siftUp(timer.index);
    return timer as unknown as TimerId;
  }

  /** Forgets a pending timer; a timer already fired or cancelled (or another clock's) is ignored. */
  cancel(id: TimerId): void {
    const timer = id as unknown as PendingTimer;
    if (timer && timer.index >= 0 && this.heap[timer.index] === timer) this.removeAt(timer.index);
  }

  /** Timers armed and neither fired nor cancelled. */
  get pending(): number {
    return this.heap.length;
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextDueMs(): number | undefined {
    return this.heap[0]?.atMs;
  }

  /**
   * Fires the single next timer, first moving time to it (never backwards: a timer set
   * with delay 0 is due now). Returns false, and changes nothing, when none is pending.
   */
  step(): boolean {
    const next = this.heap[0];
    if (!next) return false;
    this.fire(next);
    return true;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. Returns how many fired. */
  advance(ms: number): number {
    return this.advanceTo(this.now + ms);
  }

  /**
   * Fires, in order, every timer due at or before `targetMs` (including ones those timers
   * arm on the way), then leaves the clock at `targetMs`. A target in the past fires
   * nothing and leaves the clock where it is. Returns how many timers fired.
   */
  advanceTo(targetMs: number): number {
    if (!Number.isFinite(targetMs)) throw new RangeError(`VirtualClock.advanceTo: expected a finite targetMs, got ${targetMs}`);
    let fired = 0;
    for (let next = this.heap[0]; next && next.atMs <= targetMs; next = this.heap[0]) {
      this.fire(next);
      fired++;
    }
    this.now = Math.max(this.now, targetMs);
    return fired;
  }

  /** The event-engine name of advanceTo: run every event up to and including `targetMs`. */
  runUntil(targetMs: number): number {
    return this.advanceTo(targetMs);
  }

  private fire(timer: PendingTimer): void {
    if (timer.atMs === this.instantMs) {
      // Checked before the timer leaves the heap: after the throw the clock is still consistent.
      if (this.firedAtInstant >= this.loopLimit) {
        throw new Error(
          `VirtualClock: more than ${this.loopLimit} timers fired at ${timer.atMs} ms without time advancing ` +
            '(a timer that re-arms itself with no delay?); expected time to move on',
        );
      }
      this.firedAtInstant++;
    } else {
      this.instantMs = timer.atMs;
      this.firedAtInstant = 1;
    }
    this.removeAt(0);
    this.now = Math.max(this.now, timer.atMs);
    timer.fn();
  }

  private removeAt(index: number): void {
    const heap = this.heap;
    const removed = heap[index]!;
    removed.index = -1;
    const last = heap.pop()!;
    if (index === heap.length) return;
    heap[index] = last;
    last.index = index;
    // The moved entry may belong above or below its new place; only one direction moves it.
    this.siftUp(index);
    this.siftDown(last.index);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const timer = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(timer, parent)) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = timer;
    timer.index = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const timer = heap[index]!;
    const length = heap.length;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && before(heap[right]!, heap[child]!)) child = right;
      const smaller = heap[child]!;
      if (!before(smaller, timer)) break;
      heap[index] = smaller;
      smaller.index = index;
      index = child;
    }
    heap[index] = timer;
    timer.index = index;
  }
}

/** The heap order: time, then priority, then creation. Strict, and total (seq is unique). */
function before(a: PendingTimer, b: PendingTimer): boolean {
  if (a.atMs !== b.atMs) return a.atMs < b.atMs;
  if (a.priority !== b.priority) return a.priority < b.priority;
  return a.seq < b.seq;
}
