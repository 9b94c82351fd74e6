import type { TunerObservation as Evaluation, TuningContext } from './bayes-opt.js';
import type { ChangePointDetector, ChangePointResult } from './change-point/detector.js';
import type { Clock, TimerId } from './clock.js';
import type { Config as TuningConfig } from './config-space.js';
import { lambdaPricing } from './pricing.js';
import { quantile } from './stats.js';
import { initMsAtOneVcpu } from './tuning-economics.js';

export type { TuningConfig };

/** What the controller needs of an optimizer: BayesOpt (src/core/bayes-opt.ts) is one. */
export interface Tuner {
  suggest(context: TuningContext): TuningConfig & { reason: string };
  observe(config: TuningConfig, evaluation: Evaluation, context: TuningContext): void;
  /** A new tuning episode; `keepHistory` warm-starts it from what earlier episodes learnt. */
  restart(options: { keepHistory: boolean }): void;
  /** Whether the configuration is one it chooses between (absent: every one is). */
  offers?(config: TuningConfig): boolean;
  /** The cheapest configuration of this episode that met the SLO: where a trial lane's traffic goes back to. */
  best?(): { config: TuningConfig } | undefined;
}

export type TuningEvent =
  /** `slice`: measured on the trial lane, which had this share of the traffic. */
  | { kind: 'evaluated'; atMs: number; config: TuningConfig; context: TuningContext; evaluation: Evaluation; requests: number; sloAttainment: number; slice?: number }
  /** `slice`: put on the trial lane, with this share of the traffic (emptying it is not an event: what comes next says). */
  | { kind: 'applied'; atMs: number; config: TuningConfig; reason: string; slice?: number }
  /**
   * The arrival rate shifted. `retuned: false`: the shift was seen, but regimes have been too
   * short to measure (see ControllerOptions.minRegimeWindows), so the episode goes on.
   */
  | { kind: 'change-point'; atMs: number; arrivalRatePerS: number; reason: string; retuned?: boolean }
  /** Tuning gave up (an error in the optimizer); serving goes on with the configuration in force. */
  | { kind: 'stopped'; atMs: number; config: TuningConfig; reason: string };

export interface ControllerOptions {
  sloMs: number;
  /**
   * Requests answered before a configuration's window closes. A p99 needs enough tail:
   * with 200 requests the p99 is interpolated between the 2nd and 3rd slowest, which is
   * as few as one can honestly call a p99. @default 200
   */
  minRequests?: number;
  /** A window is at least this long, so that cold starts and batching settle. @default 20000 */
  minWindowMs?: number;
  /** A window closes after this even with few requests (light traffic). @default 120000 */
  maxWindowMs?: number;
  /** Width of one arrival-count interval for the detector. @default 1000 */
  intervalMs?: number;
  /** Warm-start new episodes from earlier ones. @default true */
  warmStart?: boolean;
  /**
   * A change point re-tunes only if regimes have lasted, on average over the last change
   * points, at least this many windows at the rate over them; else it is reported and the
   * episode and its window go on. Where traffic shifts faster than a window can measure it
   * (code.csv at 1x: a change point every minute at 2.5 req/s, where a window takes 80 s),
   * every re-tuning restarted a window that then never closed, and the hour was spent
   * exploring on the starting configuration (simulated: 47 episodes covering 84% of it).
   * Two: an episode opens with two design points. 0 re-tunes on every change point. @default 2
   */
  minRegimeWindows?: number;
  /**
   * The first window (serving's start: past the few instances warmed, a fleet that starts
   * cold) is not shown to the optimizer; the configuration is measured again, warm. Shown,
   * a cold first window at 20x traffic missed the SLO by 2-6x, and the episode's design fell
   * back to 512 MB with batches of 1 for the hour (docs/tuning.md). @default false
   */
  remeasureStart?: boolean;
  /**
   * Trials on a slice of the traffic: once the episode has a configuration that met the SLO,
   * the tuner's next suggestion serves `share` of the requests on a lane of its own (`apply`
   * puts a configuration there, or with none empties it) while the rest stay on that
   * configuration; a trial that turns out the cheapest within the SLO takes all the traffic.
   * Absent: every suggestion is applied to all of it.
   */
  trial?: {
    share: number;
    apply: (config: TuningConfig | undefined, share: number, done: (error?: Error) => void) => void;
    /** Up to this share where `share` would take longer than `windowMs` to fill a window (light traffic). @default share */
    maxShare?: number;
    /** @default maxWindowMs */
    windowMs?: number;
  };
  /**
   * Called, after the controller stopped, when tuning failed inside its own interval timer
   * (where no caller can catch it). Without it the error is thrown there.
   */
  onError?: (error: unknown) => void;
}

/** Gaps between change points that the regime length is averaged over. */
const regimeMemory = 5;
/** Interval counts remembered for a change point's rate: 10 minutes at 1 s intervals. */
const recentIntervals = 600;

/** When a window closes (ControllerOptions' defaults resolved once, for closing and for predicting it). */
interface WindowRule {
  minRequests: number;
  minWindowMs: number;
  maxWindowMs: number;
}

/** What one lane's requests and invocations measured since its window began. */
class LaneTally {
  latenciesMs: number[] = [];
  costUsd = 0;
  invocations = 0;
  batchedRequests = 0;
  /** Billed instance time of the window's invocations, for the instances a switch must start. */
  busyMs = 0;
}

/** A failed request's latency, in multiples of the SLO, for the window's p99. */
export const failedMissFactor = 20;

/**
 * Online tuning for one model: observes each configuration over a window of live traffic,
 * feeds (config, arrival rate) -> (cost per request, p99, mean dispatched batch) to the
 * optimizer, applies the next configuration, and starts a new tuning episode when the
 * arrival rate shifts.
 * Pure: time comes from the injected clock, effects go out through `apply` and `emit`, and
 * nothing waits on a promise, so an event engine steps it exactly.
 */
export class TuningController {
  private windowStartMs: number;
  /** The window's tallies: of the configuration in force, and of the trial lane's. */
  private tally = new LaneTally();
  private trialTally = new LaneTally();
  /** Every cold start's INIT so far, scaled to one vCPU (not per window: they are rare). */
  private coldStarts = { count: 0, totalMs: 0 };
  /** The last change points (re-tuned or not), most recent last, at most regimeMemory + 1, with the arrivals counted by then. */
  private changePoints: Array<{ atMs: number; arrivals: number }> = [];
  /** Arrivals since the start. */
  private totalArrivals = 0;
  /** The last recentIntervals interval counts, oldest first (the last is the detector's latest). */
  private recentCounts: number[] = [];
  private arrivals = 0;
  private intervalArrivals = 0;
  private intervalTimer: TimerId;
  private current: TuningConfig;
  /** The configuration on the trial lane, while it has a share of the traffic. */
  private trialConfig: TuningConfig | undefined;
  private trialShare = 0;
  private applying = false;
  /** The first window, on a fleet that started cold, is measured again (ControllerOptions.remeasureStart). */
  private starting: boolean;
  private readonly window: WindowRule;
  private readonly minRegimeWindows: number;

  constructor(
    private readonly clock: Clock,
    private readonly tuner: Tuner,
    private readonly detector: ChangePointDetector,
    initial: TuningConfig,
    /** Puts a configuration in force and calls `done` once it is (synchronously is fine). */
    private readonly apply: (config: TuningConfig, done: (error?: Error) => void) => void,
    private readonly emit: (event: TuningEvent) => void,
    private readonly options: ControllerOptions,
  ) {
    this.current = initial;
    this.window = { minRequests: options.minRequests ?? 200, minWindowMs: options.minWindowMs ?? 20_000, maxWindowMs: options.maxWindowMs ?? 120_000 };
    this.minRegimeWindows = options.minRegimeWindows ?? 2;
    this.windowStartMs = clock.nowMs();
    this.starting = options.remeasureStart ?? false;
    this.intervalTimer = this.armInterval();
  }

  get config(): TuningConfig {
    return this.current;
  }

  /** The configuration on a slice of the traffic, while there is one (ControllerOptions.trial). */
  get trial(): TuningConfig | undefined {
    return this.trialConfig;
  }

  /**
   * Replays earlier evaluations (from the tuning log) so a restart resumes, not relearns.
   * Skips those of configurations the tuner no longer offers (a log written before its space
   * left out batches that do not fit their memory); returns how many it replayed and skipped.
   */
  restore(events: readonly TuningEvent[]): { replayed: number; skipped: number } {
    let replayed = 0;
    let skipped = 0;
    for (const event of events) {
      if (event.kind !== 'evaluated') continue;
      if (this.tuner.offers && !this.tuner.offers(event.config)) {
        skipped++;
        continue;
      }
      this.tuner.observe(event.config, event.evaluation, event.context);
      replayed++;
    }
    return { replayed, skipped };
  }

  recordArrivals(count: number): void {
    this.arrivals += count;
    this.totalArrivals += count;
    this.intervalArrivals += count;
  }

  /**
   * One request answered: when it arrived, its latency (arrival to answer), and whether it
   * succeeded. A request counts for the configuration in force when it arrived: one that
   * arrived before this window began (say, queued behind a slow configuration) is left out,
   * and so is one of the trial lane while none is on trial (it was queued there before).
   */
  recordAnswer(arrivalMs: number, latencyMs: number, ok: boolean, trial = false): void {
    if (this.applying || arrivalMs < this.windowStartMs) return;
    const tally = this.tallyOf(trial);
    if (!tally) return;
    // A failed request counts as a miss of 20x the SLO (or its own latency, if longer): it
    // got no answer, and 20x is the largest miss the optimizer tells apart (it clamps
    // log(p99 / SLO) at 3). Finite, so that a window's p99 stays a number in the log.
    tally.latenciesMs.push(ok ? latencyMs : Math.max(latencyMs, failedMissFactor * this.options.sloMs));
    this.maybeCloseWindow();
  }

  /**
   * A warm-up's INIT, if it was a cold start, at an instance of `memoryMb`: it prices the
   * next change of configuration. Kept at one vCPU (SwitchContext.coldStartMs), so that
   * the INITs of small memory sizes do not stand for those of large ones.
   */
  recordColdStart(initMs: number | undefined, memoryMb?: number): void {
    if (initMs === undefined) return;
    this.coldStarts.count++;
    this.coldStarts.totalMs += memoryMb === undefined ? initMs : initMsAtOneVcpu(memoryMb, initMs);
  }

  /**
   * One billed invocation: its cost, how many requests its batch carried, and (when the
   * platform said) its billed time, a cold start's INIT and the instance's memory.
   * A cold start's INIT is left out of the window's cost: it is the price of reaching the
   * configuration (the optimizer prices switches on their own, from these INITs), not of
   * serving with it, and a window right after a switch pays most of them. Counted in, it
   * made every trial of a new memory size look up to twice as dear as it serves (measured
   * in the simulator: 1.02 against 0.47 $/M for the same configuration, cold and warm).
   * Counted in only after a fleet's first window (its cold starts then being scale-out),
   * it was dearer on the cost matrix than left out (docs/tuning.md, "What a switch starts").
   */
  recordInvocation(costUsd: number, batchSize: number, billedMs?: number, initMs?: number, memoryMb?: number, trial = false): void {
    this.recordColdStart(initMs, memoryMb);
    const tally = this.tallyOf(trial);
    if (this.applying || !tally) return;
    const cold = billedMs !== undefined && billedMs > 0 && initMs !== undefined;
    const warmBilledMs = cold ? Math.max(1, billedMs - initMs) : billedMs ?? 0;
    tally.costUsd += cold ? withoutInitUsd(costUsd, warmBilledMs / billedMs) : costUsd;
    tally.invocations++;
    tally.batchedRequests += batchSize;
    tally.busyMs += warmBilledMs;
  }

  private tallyOf(trial: boolean): LaneTally | undefined {
    if (!trial) return this.tally;
    return this.trialConfig ? this.trialTally : undefined;
  }

  stop(): void {
    this.clock.cancel(this.intervalTimer);
  }

  private armInterval(): TimerId {
    return this.clock.setTimer(this.options.intervalMs ?? 1000, () => {
      try {
        const count = this.intervalArrivals;
        this.intervalArrivals = 0;
        this.recentCounts.push(count);
        if (this.recentCounts.length > recentIntervals) this.recentCounts.shift();
        const result = this.detector.update(count);
        if (result.changed) this.onChangePoint(result);
        this.maybeCloseWindow();
      } catch (error) {
        if (!this.options.onError) throw error;
        this.options.onError(error);
        return;
      }
      this.intervalTimer = this.armInterval();
    });
  }

  private onChangePoint(result: ChangePointResult): void {
    this.changePoints.push({ atMs: this.clock.nowMs(), arrivals: this.totalArrivals });
    if (this.changePoints.length > regimeMemory + 1) this.changePoints.shift();
    const rate = this.newRegimeRate(result);
    const choppy = this.choppy();
    if (choppy) {
      this.emit({
        kind: 'change-point', atMs: this.clock.nowMs(), arrivalRatePerS: rate, retuned: false,
        reason: `arrival rate shifted (now ${rate.toFixed(1)} req/s), but regimes have lasted ${(choppy.meanGapMs / 1000).toFixed(0)} s on average, ` +
          `less than ${this.minRegimeWindows} windows at ${choppy.ratePerS.toFixed(1)} req/s (${(choppy.windowMs / 1000).toFixed(0)} s each): the episode goes on`,
      });
      return;
    }
    const warm = this.options.warmStart ?? true;
    this.tuner.restart({ keepHistory: warm });
    this.emit({
      kind: 'change-point', atMs: this.clock.nowMs(), arrivalRatePerS: rate,
      reason: `arrival rate shifted (now ${rate.toFixed(1)} req/s): new tuning episode, ${warm ? 'warm-started from earlier episodes' : 'cold'}`,
    });
    // The window in progress mixes two regimes: start a clean one.
    this.resetWindow();
  }

  /** A window closes on the trial lane's requests while there is one (it has the fewest), else on all of them. */
  private maybeCloseWindow(): void {
    const elapsedMs = this.clock.nowMs() - this.windowStartMs;
    const answered = (this.trialConfig ? this.trialTally : this.tally).latenciesMs.length;
    const enough = answered >= this.window.minRequests && elapsedMs >= this.window.minWindowMs;
    const tooLong = elapsedMs >= this.window.maxWindowMs && answered > 0;
    if (!this.applying && (enough || tooLong)) this.closeWindow();
  }

  private closeWindow(): void {
    if (this.starting) {
      this.starting = false;
      return this.resetWindow();
    }
    const windowMs = Math.max(1, this.clock.nowMs() - this.windowStartMs);
    const ratePerS = this.rateSinceWindowStart();
    const share = this.trialConfig ? this.trialShare : 0;
    const busyMs = this.tally.busyMs + this.trialTally.busyMs;
    const context: TuningContext = {
      arrivalRatePerS: ratePerS,
      ...(busyMs > 0 ? { instancesInUse: busyMs / windowMs } : {}),
      ...(this.coldStarts.count > 0 ? { coldStartMs: this.coldStarts.totalMs / this.coldStarts.count } : {}),
      ...this.regime(),
    };
    // Beside a trial, the configuration in force is measured too (at its share of the
    // rate) when it answered a window's worth of requests.
    if (!this.trialConfig || this.tally.latenciesMs.length >= this.window.minRequests) {
      this.observeLane(this.current, this.tally, { ...context, arrivalRatePerS: ratePerS * (1 - share) }, windowMs);
    }
    if (this.trialConfig) this.observeLane(this.trialConfig, this.trialTally, { ...context, arrivalRatePerS: ratePerS * share }, windowMs, share);
    const { reason, ...config } = this.tuner.suggest(context);
    this.resetWindow();
    // Trials go on a slice only once the episode has a configuration to keep the rest on.
    const home = this.options.trial ? this.tuner.best?.()?.config : undefined;
    if (!home) return this.moveLanes(config, undefined, reason, 0);
    if (sameConfig(config, home)) return this.moveLanes(home, undefined, reason, 0);
    this.moveLanes(home, config, reason, this.sliceShare(ratePerS));
  }

  /** The trial lane's share: the smallest that fills a window in time (ControllerOptions.trial). */
  private sliceShare(ratePerS: number): number {
    const { share, maxShare = share, windowMs = this.window.maxWindowMs } = this.options.trial!;
    const fillShare = (this.window.minRequests * 1000) / (Math.max(ratePerS, 1e-6) * windowMs);
    return Math.min(maxShare, Math.max(share, fillShare));
  }

  /** Tells the tuner what one lane measured over the window, and emits it. */
  private observeLane(config: TuningConfig, tally: LaneTally, context: TuningContext, windowMs: number, slice?: number): void {
    const requests = tally.latenciesMs.length;
    if (requests === 0) return;
    const evaluation = {
      costUsdPerRequest: tally.costUsd / requests,
      p99Ms: quantile(tally.latenciesMs, 0.99),
      // Retried batches count once per attempt, as they are billed.
      ...(tally.invocations > 0 ? { meanBatchSize: tally.batchedRequests / tally.invocations } : {}),
    };
    const laneContext = { ...context, ...(tally.busyMs > 0 ? { instancesInUse: tally.busyMs / windowMs } : {}) };
    const sloAttainment = tally.latenciesMs.filter((ms) => ms <= this.options.sloMs).length / requests;
    this.tuner.observe(config, evaluation, laneContext);
    this.emit({ kind: 'evaluated', atMs: this.clock.nowMs(), config, context: laneContext, evaluation, requests, sloAttainment, ...(slice ? { slice } : {}) });
  }

  /**
   * Puts `main` in force and `trial` (if any) on the trial lane: the lane is emptied first
   * and filled last, so that the configuration in force may take over the lane's function
   * (a trial kept) and the next trial then gets the other one.
   */
  private moveLanes(main: TuningConfig, trial: TuningConfig | undefined, reason: string, share: number): void {
    const trialLane = this.options.trial;
    const keepTrial = trial && this.trialConfig && sameConfig(trial, this.trialConfig) && sameConfig(main, this.current) && share === this.trialShare;
    if (sameConfig(main, this.current) && (keepTrial || (!trial && !this.trialConfig))) return;
    this.applying = true;
    const finish = () => {
      this.applying = false;
      this.resetWindow();
    };
    const fillTrial = () => {
      if (!trial || !trialLane) return finish();
      trialLane.apply(trial, share, (error) => {
        if (error) {
          this.emit({ kind: 'applied', atMs: this.clock.nowMs(), config: this.current, reason: `could not put ${JSON.stringify(trial)} on a slice: ${error.message}` });
        } else {
          this.trialConfig = trial;
          this.trialShare = share;
          this.emit({ kind: 'applied', atMs: this.clock.nowMs(), config: trial, reason: `${reason}; on ${(share * 100).toFixed(0)}% of the traffic`, slice: share });
        }
        finish();
      });
    };
    const moveMain = () => {
      if (sameConfig(main, this.current)) return fillTrial();
      // Beside a new trial, what moves is the episode's cheapest within the SLO; else the tuner's pick.
      const why = trial ? 'the cheapest within the SLO this episode' : reason;
      this.apply(main, (error) => {
        if (error) {
          this.emit({ kind: 'applied', atMs: this.clock.nowMs(), config: this.current, reason: `could not apply ${JSON.stringify(main)}: ${error.message}` });
        } else {
          this.current = main;
          this.emit({ kind: 'applied', atMs: this.clock.nowMs(), config: main, reason: why });
        }
        fillTrial();
      });
    };
    if (!this.trialConfig || !trialLane) return moveMain();
    trialLane.apply(undefined, 0, () => {
      this.trialConfig = undefined;
      moveMain();
    });
  }

  /**
   * How long regimes have lasted: the mean gap between the last change points, once there
   * are two, with the current regime's age counted once it is longer than that mean (a
   * regime that outlasts the others says the traffic has settled).
   */
  private regime(): { regimeS?: number } {
    const times = this.changePoints.map((c) => c.atMs);
    if (times.length < 2) return {};
    const gapsMs = times.slice(1).map((t, i) => t - times[i]!);
    const meanMs = gapsMs.reduce((a, b) => a + b, 0) / gapsMs.length;
    const ageMs = this.clock.nowMs() - times[times.length - 1]!;
    const regimeMs = ageMs > meanMs ? (meanMs * gapsMs.length + ageMs) / (gapsMs.length + 1) : meanMs;
    return { regimeS: regimeMs / 1000 };
  }

  /**
   * Whether regimes have been too short to measure: over the remembered change points (at
   * least three, this one included), the mean gap between them is below minRegimeWindows
   * windows at the rate over that span. Undefined when they have not; else the figures.
   */
  private choppy(): { meanGapMs: number; ratePerS: number; windowMs: number } | undefined {
    const points = this.changePoints;
    const windows = this.minRegimeWindows;
    if (windows <= 0 || points.length < 3) return undefined;
    const spanMs = points[points.length - 1]!.atMs - points[0]!.atMs;
    const meanGapMs = spanMs / (points.length - 1);
    const ratePerS = (this.totalArrivals - points[0]!.arrivals) / Math.max(1e-3, spanMs / 1000);
    const windowMs = this.expectedWindowMs(ratePerS);
    return meanGapMs < windows * windowMs ? { meanGapMs, ratePerS, windowMs } : undefined;
  }

  /** How long a window takes to close at a steady `ratePerS` (maybeCloseWindow's rule). */
  private expectedWindowMs(ratePerS: number): number {
    const { minRequests, minWindowMs, maxWindowMs } = this.window;
    const fillMs = (minRequests / Math.max(ratePerS, 1e-6)) * 1000;
    return Math.min(maxWindowMs, Math.max(minWindowMs, fillMs));
  }

  /**
   * The arrival rate since the interval the detector dates the change to (its changeIndex),
   * over the intervals remembered: what the change point's event and reason report. The
   * window in progress mixes the two regimes when it began before the change.
   */
  private newRegimeRate(result: ChangePointResult): number {
    const since = result.changeIndex ?? result.index;
    const intervals = Math.max(1, Math.min(result.index - since + 1, this.recentCounts.length));
    const arrivals = this.recentCounts.slice(-intervals).reduce((a, b) => a + b, 0);
    return arrivals / ((intervals * (this.options.intervalMs ?? 1000)) / 1000);
  }

  private rateSinceWindowStart(): number {
    const seconds = Math.max(1e-3, (this.clock.nowMs() - this.windowStartMs) / 1000);
    return this.arrivals / seconds;
  }

  private resetWindow(): void {
    this.windowStartMs = this.clock.nowMs();
    this.tally = new LaneTally();
    this.trialTally = new LaneTally();
    this.arrivals = 0;
  }
}

/** An invocation's cost with its duration part scaled to `warmShare` of it (the request fee stays). */
function withoutInitUsd(costUsd: number, warmShare: number): number {
  const feeUsd = Math.min(costUsd, lambdaPricing.requestUsd);
  return feeUsd + (costUsd - feeUsd) * warmShare;
}

function sameConfig(a: TuningConfig, b: TuningConfig): boolean {
  return a.memoryMb === b.memoryMb && a.batchSize === b.batchSize && a.processes === b.processes;
}
