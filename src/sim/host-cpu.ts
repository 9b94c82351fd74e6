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
   * @param backgroundCores runnable work of other programs on the same host, in cores
   * (threads that want a core), sharing the cores with the instances as one more demand.
   * Measured live by `ferry bench fidelity` (src/bench/host-load.ts): on this shared 2-core
   * machine 2 to 10 foreign runnable threads during a replay made handlers 5-25x slower
   * than the profile, which a dedicated host cannot show. @default 0 (a dedicated host)
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
    // Foreign work takes its processor-sharing part of the cores whenever instances run.
    const demand = this.demand + this.backgroundCores;
    return demand <= this.cores ? 1 : this.cores / demand;
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
