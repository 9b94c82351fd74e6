import type { Clock, TimerId } from '../core/clock.js';

interface Job {
  /** CPU-bound work left, in ms at the job's own speed (its vCPU share, uncontended). */
  remainingMs: number;
  /** Cores the job keeps busy while it runs uncontended: min(its share, processes x threads). */
  cores: number;
  timer: TimerId | undefined;
  done: () => void;
}

/**
 * The cores of one machine shared by every function instance running on it, as the
 * embedded runtime on a 2-core host shares them: processor sharing. While the busy jobs
 * together ask for more cores than the host has, each progresses at hostCores / demand of
 * its own speed; otherwise at full speed. (A cgroup CPU quota caps each instance at its
 * share; the host's scheduler then splits what remains about evenly.) With unbounded
 * cores (AWS Lambda: instances do not share CPU) a job takes exactly its own time.
 */
export class HostCpu {
  private readonly jobs = new Set<Job>();
  private demand = 0;
  private lastUpdateMs: number;

  /**
   * @param backgroundCores runnable threads of other programs on the same host (see
   * instanceCores). Measured live by `ferry bench fidelity` (src/bench/host-load.ts): on a
   * shared 2-core machine 6.5-12 foreign runnable threads during a replay made handlers
   * 15-25x slower than the profile, which a dedicated host cannot show. @default 0 (a dedicated host)
   */
  constructor(
    private readonly clock: Clock,
    readonly cores: number,
    readonly backgroundCores = 0,
  ) {
    if (!(cores > 0)) throw new RangeError(`Expected a positive number of host cores, got ${cores}`);
    this.lastUpdateMs = clock.nowMs();
  }

  get isShared(): boolean {
    return Number.isFinite(this.cores);
  }

  /** Runs `workMs` of work that uses `cores` cores; `done` when it is finished. */
  run(workMs: number, cores: number, done: () => void): void {
    if (!this.isShared) {
      this.clock.setTimer(workMs, done);
      return;
    }
    this.advance();
    const job: Job = { remainingMs: workMs, cores, timer: undefined, done };
    this.jobs.add(job);
    this.demand += cores;
    this.reschedule();
  }

  private speed(): number {
    const capacity = this.instanceCores();
    return this.demand <= capacity ? 1 : capacity / this.demand;
  }

  /**
   * Cores the instances get together. The embedded runtime puts every instance's cgroup
   * under one parent (`/sys/fs/cgroup/cpu/ferry`, cpu.shares 1024), so CFS weighs all the
   * instances together as ONE task against each foreign runnable thread: they get
   * cores / (1 + foreign) of the host, or what the foreign threads leave (each uses at most
   * one core), whichever is more. Measured by `ferry bench fidelity` with 6.5-7.8 foreign
   * runnable threads on 2 cores: b=1 handlers took 177 ms live against 11.6 ms on a
   * dedicated host (15x); sharing per thread (foreign threads as plain extra demand)
   * predicted 60 ms, one group against the foreign threads about 200 ms.
   */
  private instanceCores(): number {
    const foreign = this.backgroundCores;
    if (foreign <= 0) return this.cores;
    return Math.max(this.cores / (1 + foreign), this.cores - foreign);
  }

  /** Charges the time since the last change to every running job, at the speed it had. */
  private advance(): void {
    const nowMs = this.clock.nowMs();
    const elapsedMs = nowMs - this.lastUpdateMs;
    this.lastUpdateMs = nowMs;
    if (elapsedMs <= 0) return;
    const speed = this.speed();
    for (const job of this.jobs) job.remainingMs = Math.max(0, job.remainingMs - elapsedMs * speed);
  }

  private reschedule(): void {
    const speed = this.speed();
    for (const job of this.jobs) {
      if (job.timer !== undefined) this.clock.cancel(job.timer);
      job.timer = this.clock.setTimer(job.remainingMs / speed, () => this.finish(job));
    }
  }

  private finish(job: Job): void {
    this.advance();
    this.jobs.delete(job);
    this.demand -= job.cores;
    this.reschedule();
    job.done();
  }
}
