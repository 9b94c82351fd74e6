import { describe, expect, it } from 'vitest';
import { BayesOpt } from './bayes-opt.js';
import { createChangePointDetector } from './change-point/detectors.js';
import { ConfigSpace, type Config } from './config-space.js';
import { vcpusForMemory } from './pricing.js';
import { Rng } from './random.js';
import { TuningController, type TuningEvent } from './tuning-controller.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * A synthetic service for the controller to tune, on a virtual clock: per-request latency
 * grows with the batch and shrinks with CPU (memory) and processes; cost per request is
 * memory x service time / batch. Not a model of MobileNetV2 (the simulator and the tuner
 * benchmark use the measured profile); just enough structure for a real optimum.
 */
function serve(config: Config, rng: Rng): { latencyMs: number; costUsd: number } {
  const vcpus = Math.min(6, config.memoryMb / 1769);
  const parallel = Math.min(config.processes, Math.max(1, vcpus));
  const serviceMs = (20 + (12 * config.batchSize) / parallel) / Math.min(1, vcpus);
  const latencyMs = serviceMs * (1 + 0.05 * rng.normal()) + 5 * config.batchSize;
  const costUsd = ((serviceMs / 1000) * (config.memoryMb / 1024) * 0.0000166667 + 0.0000002) / config.batchSize;
  return { latencyMs, costUsd };
}

/**
 * A controller (1769 MB, batch 8, one process; windows of 2 requests and 1 s) over a stub
 * tuner that always suggests `suggested`, with what each window reported to the tuner.
 */
function recordingController(clock: VirtualClock, suggested: Config) {
  const observed: Array<{ cost: number; context: { coldStartMs?: number; instancesInUse?: number } }> = [];
  const tuner = {
    suggest: () => ({ ...suggested, reason: 'as suggested' }),
    observe: (_config: Config, evaluation: { costUsdPerRequest: number }, context: { coldStartMs?: number; instancesInUse?: number }) =>
      void observed.push({ cost: evaluation.costUsdPerRequest, context }),
    restart: () => undefined,
  };
  const controller = new TuningController(
    clock, tuner, createChangePointDetector('cusum'), { memoryMb: 1769, batchSize: 8, processes: 1 },
    (_config, done) => done(), () => undefined, { sloMs: 300, minRequests: 2, minWindowMs: 1000 },
  );
  return { controller, observed };
}

describe('TuningController (virtual clock, real BayesOpt and BOCPD)', () => {
  it('tunes, explains every decision, and starts a new episode after a step in the arrival rate', () => {
    const clock = new VirtualClock();
    const rng = new Rng(7);
    const tuner = new BayesOpt({ space: new ConfigSpace(), sloMs: 300, seed: 3, context: { minRatePerS: 1, maxRatePerS: 200 } });
    const events: TuningEvent[] = [];
    let config: Config = { memoryMb: 1769, batchSize: 1, processes: 1 };
    const controller = new TuningController(
      clock, tuner, createChangePointDetector('bocpd', {}), config,
      (next, done) => {
        config = next;
        done(); // applied at once, within the controller's own call (as in the simulator)
      },
      (event) => events.push(event),
      { sloMs: 300, minRequests: 200, minWindowMs: 20_000 },
    );
    const stepAtS = 1200;
    for (let second = 0; second < 2400; second++) {
      const rate = second < stepAtS ? 20 : 80;
      controller.recordArrivals(rate);
      // A second's arrivals go out in batches of the configured size (the last one short).
      for (let sent = 0; sent < rate; sent += config.batchSize) {
        const size = Math.min(config.batchSize, rate - sent);
        const { costUsd } = serve(config, rng);
        for (let i = 0; i < size; i++) controller.recordAnswer(clock.nowMs(), serve(config, rng).latencyMs, true);
        controller.recordInvocation(costUsd * size, size);
      }
      clock.advance(1000);
    }
    controller.stop();

    const evaluated = events.filter((e) => e.kind === 'evaluated');
    const applied = events.filter((e) => e.kind === 'applied');
    const changes = events.filter((e) => e.kind === 'change-point');
    expect(evaluated.length).toBeGreaterThanOrEqual(20);
    expect(applied.length).toBeGreaterThan(3);
    for (const event of applied) expect(event.reason.length).toBeGreaterThan(0);
    // One re-tuning episode, started soon after the step (the trigger needs ~10 s of evidence).
    expect(changes).toHaveLength(1);
    expect(changes[0]!.atMs / 1000).toBeGreaterThan(stepAtS);
    expect(changes[0]!.atMs / 1000).toBeLessThan(stepAtS + 30);
    // Windows before the step saw ~20 req/s, after it ~80.
    const before = evaluated.filter((e) => e.atMs < stepAtS * 1000);
    const after = evaluated.filter((e) => e.atMs > changes[0]!.atMs);
    expect(before.at(-1)!.context.arrivalRatePerS).toBeCloseTo(20, 0);
    expect(after.at(-1)!.context.arrivalRatePerS).toBeCloseTo(80, 0);
    // What it settled on beats where it started, and meets the SLO.
    const start = serve({ memoryMb: 1769, batchSize: 1, processes: 1 }, new Rng(1));
    const last = after.at(-1)!;
    expect(last.evaluation.costUsdPerRequest).toBeLessThan(start.costUsd);
    expect(last.evaluation.p99Ms).toBeLessThanOrEqual(300);
    // Every window reports the mean dispatched batch: at most the configured size.
    for (const e of evaluated) {
      expect(e.evaluation.meanBatchSize).toBeGreaterThan(0);
      expect(e.evaluation.meanBatchSize).toBeLessThanOrEqual(e.config.batchSize);
    }
  });

  it("reports a change point's rate from the interval the detector dates it to, not from the window's start", () => {
    const clock = new VirtualClock();
    const events: TuningEvent[] = [];
    const tuner = { suggest: () => ({ memoryMb: 1769, batchSize: 8, processes: 1, reason: 'stay' }), observe: () => undefined, restart: () => undefined };
    // A window that does not close before the step: its rate since it began is mostly the old regime's.
    const controller = new TuningController(
      clock, tuner, createChangePointDetector('bocpd', {}), { memoryMb: 1769, batchSize: 8, processes: 1 },
      (_config, done) => done(), (event) => events.push(event), { sloMs: 300, minRequests: 1_000_000, maxWindowMs: 3_600_000 },
    );
    for (let second = 0; second < 400; second++) {
      controller.recordArrivals(second < 300 ? 10 : 50);
      clock.advance(1000);
    }
    controller.stop();
    const changes = events.filter((e) => e.kind === 'change-point');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.arrivalRatePerS).toBeGreaterThan(40);
    expect(changes[0]!.arrivalRatePerS).toBeLessThan(60);
    expect(changes[0]!.reason).toContain(`now ${changes[0]!.arrivalRatePerS.toFixed(1)} req/s`);
  });

  it('counts failed requests as 20x-SLO misses, so a window with many failures still has a p99', () => {
    const clock = new VirtualClock();
    const observed: Array<{ p99Ms: number }> = [];
    const tuner = {
      suggest: () => ({ memoryMb: 1769, batchSize: 8, processes: 1, reason: 'stay' }),
      observe: (_config: Config, evaluation: { p99Ms: number }) => void observed.push(evaluation),
      restart: () => undefined,
    };
    const controller = new TuningController(
      clock, tuner, createChangePointDetector('cusum'), { memoryMb: 1769, batchSize: 8, processes: 1 },
      (_config, done) => done(), () => undefined, { sloMs: 300, minRequests: 100, minWindowMs: 1000 },
    );
    clock.advance(1000);
    // 5% of the window failed (answered with an error after 40 ms): the p99 is a failure's.
    for (let i = 0; i < 100; i++) controller.recordAnswer(0, i < 5 ? 40 : 50, i >= 5);
    controller.stop();
    expect(observed).toHaveLength(1);
    expect(observed[0]!.p99Ms).toBe(20 * 300);
  });

  it('reports the mean batch of the window as requests per billed invocation', () => {
    const clock = new VirtualClock();
    const observed: Array<{ meanBatchSize?: number }> = [];
    const tuner = {
      suggest: () => ({ memoryMb: 1769, batchSize: 8, processes: 1, reason: 'stay' }),
      observe: (_config: Config, evaluation: { meanBatchSize?: number }) => void observed.push(evaluation),
      restart: () => undefined,
    };
    const controller = new TuningController(
      clock, tuner, createChangePointDetector('cusum'), { memoryMb: 1769, batchSize: 8, processes: 1 },
      (_config, done) => done(), () => undefined, { sloMs: 300, minRequests: 10, minWindowMs: 1000 },
    );
    controller.recordArrivals(12);
    for (const size of [8, 3, 1]) controller.recordInvocation(1e-6 * size, size);
    clock.advance(1000);
    for (let i = 0; i < 12; i++) controller.recordAnswer(0, 50, true);
    controller.stop();
    expect(observed).toHaveLength(1);
    expect(observed[0]!.meanBatchSize).toBeCloseTo(4, 12);
  });

  it("leaves a cold start's INIT out of the window's cost and prices the next switch with it", () => {
    const clock = new VirtualClock();
    const { controller, observed } = recordingController(clock, { memoryMb: 1769, batchSize: 8, processes: 1 });
    // Two invocations of one request each, 100 ms billed warm; the second also had a 900 ms INIT.
    const fee = 0.2e-6;
    const perMs = 1e-9;
    controller.recordInvocation(fee + 100 * perMs, 1, 100);
    controller.recordInvocation(fee + 1000 * perMs, 1, 1000, 900);
    clock.advance(1000);
    controller.recordAnswer(0, 50, true);
    controller.recordAnswer(0, 50, true);
    controller.stop();
    expect(observed).toHaveLength(1);
    expect(observed[0]!.cost).toBeCloseTo(fee + 100 * perMs, 15);
    expect(observed[0]!.context.coldStartMs).toBe(900);
    // 200 ms of warm billed time over a 1 s window: 0.2 instances busy.
    expect(observed[0]!.context.instancesInUse).toBeCloseTo(0.2, 12);
  });

  it('keeps the INITs it reports at one vCPU, whatever memory size they were seen at', () => {
    const clock = new VirtualClock();
    // The tuner moves it to 885 MB (half a vCPU) after the first window.
    const { controller, observed } = recordingController(clock, { memoryMb: 885, batchSize: 8, processes: 1 });
    const fee = 0.2e-6;
    const perMs = 1e-9;
    // Each window: a warm-up's cold start (900 ms INIT), a warm invocation and a traffic cold start.
    for (let window = 0; window < 2; window++) {
      const memoryMb = controller.config.memoryMb;
      controller.recordColdStart(900, memoryMb);
      controller.recordInvocation(fee + 100 * perMs, 1, 100, undefined, memoryMb);
      controller.recordInvocation(fee + 1000 * perMs, 1, 1000, 900, memoryMb);
      clock.advance(1000);
      controller.recordAnswer(clock.nowMs(), 50, true);
      controller.recordAnswer(clock.nowMs(), 50, true);
    }
    controller.stop();
    // Neither window's cost has an INIT in it, on the first fleet or the next.
    expect(observed.map((o) => o.cost)).toEqual([0, 1].map(() => expect.closeTo(fee + 100 * perMs, 15)));
    // 900 ms at 1769 MB is 900 at one vCPU; at 885 MB (half a vCPU), 450.
    expect(observed[0]!.context.coldStartMs).toBe(900);
    expect(observed[1]!.context.coldStartMs).toBeCloseTo((900 * 2 + 900 * vcpusForMemory(885) * 2) / 4, 9);
  });

  it('tells the optimizer how long regimes have lasted between change points', () => {
    const clock = new VirtualClock();
    const contexts: Array<{ regimeS?: number }> = [];
    const tuner = {
      suggest: () => ({ memoryMb: 1769, batchSize: 8, processes: 1, reason: 'stay' }),
      observe: (_config: Config, _evaluation: unknown, context: { regimeS?: number }) => void contexts.push(context),
      restart: () => undefined,
    };
    // A detector that fires at 100 s, 200 s and 300 s (one update per 1 s interval).
    let updates = 0;
    const detector = { update: () => ({ changed: ++updates <= 300 && updates % 100 === 0, index: updates - 1, score: 0 }), reset: () => undefined };
    const controller = new TuningController(
      clock, tuner, detector, { memoryMb: 1769, batchSize: 8, processes: 1 },
      (_config, done) => done(), () => undefined, { sloMs: 300, minRequests: 1, minWindowMs: 10_000 },
    );
    for (let second = 0; second < 600; second++) {
      controller.recordArrivals(1);
      controller.recordAnswer(clock.nowMs(), 50, true);
      clock.advance(1000);
    }
    controller.stop();
    // No regime length before two change points; then the mean gap (100 s), and once the
    // last regime outlasts that, its age counts: (100 + 100 + 300) / 3 at the end.
    expect(contexts.find((c) => c.regimeS !== undefined)).toBeDefined();
    expect(contexts.slice(0, 15).every((c) => c.regimeS === undefined)).toBe(true);
    const at = (i: number) => contexts[i]!.regimeS;
    expect(at(contexts.length - 1)).toBeCloseTo(500 / 3, 0);
    expect(contexts.some((c) => c.regimeS === 100)).toBe(true);
  });

  it('lets an episode go on where regimes are shorter than two windows, and re-tunes once they are long enough', () => {
    const run = (minRegimeWindows: number | undefined, gapS: number) => {
      const clock = new VirtualClock();
      let restarts = 0;
      let evaluations = 0;
      const tuner = {
        suggest: () => ({ memoryMb: 1769, batchSize: 8, processes: 1, reason: 'stay' }),
        observe: () => void evaluations++,
        restart: () => void restarts++,
      };
      // A change point every gapS seconds, at 2 req/s: a window of 200 requests takes 100 s.
      let updates = 0;
      const detector = { update: () => ({ changed: ++updates % gapS === 0, index: updates - 1, score: 0 }), reset: () => undefined };
      const events: TuningEvent[] = [];
      const controller = new TuningController(
        clock, tuner, detector, { memoryMb: 1769, batchSize: 8, processes: 1 }, (_config, done) => done(), (event) => events.push(event),
        { sloMs: 300, ...(minRegimeWindows === undefined ? {} : { minRegimeWindows }) },
      );
      for (let second = 0; second < 1200; second++) {
        controller.recordArrivals(2);
        controller.recordAnswer(clock.nowMs(), 50, true);
        controller.recordAnswer(clock.nowMs(), 50, true);
        clock.advance(1000);
      }
      controller.stop();
      return { restarts, evaluations, changePoints: events.filter((e) => e.kind === 'change-point') };
    };
    // Every 60 s: the first two change points re-tune (no regime length yet), then none does,
    // each is reported with why, and windows close (200 requests in 100 s) as on steady traffic.
    const choppy = run(undefined, 60);
    expect(choppy.changePoints).toHaveLength(20);
    expect(choppy.restarts).toBe(2);
    expect(choppy.changePoints.slice(2).every((e) => e.kind === 'change-point' && e.retuned === false && /regimes have lasted 60 s on average, less than 2 windows at 2\.0 req\/s \(100 s each\)/.test(e.reason))).toBe(true);
    expect(choppy.evaluations).toBeGreaterThanOrEqual(10);
    // Re-tuning on each of them restarts the window every 60 s: it never closes.
    const every = run(0, 60);
    expect(every.restarts).toBe(20);
    expect(every.evaluations).toBe(0);
    // Regimes of 200 s are two windows long: every change point re-tunes.
    const slow = run(undefined, 200);
    expect(slow.restarts).toBe(6);
    expect(slow.changePoints.every((e) => e.kind === 'change-point' && e.retuned === undefined)).toBe(true);
  });

  it('resumes from logged evaluations instead of relearning', () => {
    const tuner = new BayesOpt({ space: new ConfigSpace(), sloMs: 300, seed: 3 });
    const controller = new TuningController(
      new VirtualClock(), tuner, createChangePointDetector('cusum'), { memoryMb: 1769, batchSize: 1, processes: 1 },
      (_config, done) => done(), () => undefined, { sloMs: 300 },
    );
    const logged: TuningEvent[] = [1, 2, 4].map((batchSize, i) => ({
      kind: 'evaluated', atMs: i, config: { memoryMb: 1769, batchSize, processes: 1 }, context: { arrivalRatePerS: 20 },
      evaluation: { costUsdPerRequest: 1e-6 / batchSize, p99Ms: 100 + 20 * batchSize }, requests: 200, sloAttainment: 1,
    }));
    controller.restore(logged);
    controller.stop();
    expect(tuner.evaluations).toBe(3);
    expect(tuner.best()?.config.batchSize).toBe(4);
  });

  it('skips logged evaluations of configurations its space no longer offers (a batch that does not fit)', () => {
    // 60 + 85 per process + 13 per item: at 512 MB one worker fits a batch of 28, not 32.
    const tuner = new BayesOpt({ space: new ConfigSpace({ memoryNeed: { baseMb: 60, perProcessMb: 85, perItemMb: 13 } }), sloMs: 300, seed: 3 });
    const controller = new TuningController(
      new VirtualClock(), tuner, createChangePointDetector('cusum'), { memoryMb: 512, batchSize: 1, processes: 1 },
      (_config, done) => done(), () => undefined, { sloMs: 300 },
    );
    const logged: TuningEvent[] = [8, 16, 32, 64].map((batchSize, i) => ({
      kind: 'evaluated', atMs: i, config: { memoryMb: 512, batchSize, processes: 1 }, context: { arrivalRatePerS: 20 },
      evaluation: { costUsdPerRequest: 1e-6 / batchSize, p99Ms: 100 + 20 * batchSize }, requests: 200, sloAttainment: 1,
    }));
    expect(controller.restore(logged)).toEqual({ replayed: 2, skipped: 2 });
    controller.stop();
    expect(tuner.evaluations).toBe(2);
  });

  it('tries a suggestion on a slice of the traffic once the episode has a configuration within the SLO, and moves all of it there when the trial is kept', () => {
    const clock = new VirtualClock();
    const home: Config = { memoryMb: 1769, batchSize: 8, processes: 1 };
    const candidate: Config = { memoryMb: 2048, batchSize: 16, processes: 2 };
    const state: { best?: Config; suggestion: Config } = { suggestion: home };
    const observed: Array<{ config: Config; ratePerS: number; p99Ms: number; costUsdPerRequest: number }> = [];
    const tuner = {
      suggest: () => ({ ...state.suggestion, reason: 'as suggested' }),
      observe: (config: Config, evaluation: { p99Ms: number; costUsdPerRequest: number }, context: { arrivalRatePerS: number }) =>
        void observed.push({ config, ratePerS: context.arrivalRatePerS, p99Ms: evaluation.p99Ms, costUsdPerRequest: evaluation.costUsdPerRequest }),
      restart: () => undefined,
      best: () => (state.best ? { config: state.best } : undefined),
    };
    const lanes: Array<{ lane: 'main' | 'trial'; config?: Config }> = [];
    const events: TuningEvent[] = [];
    const controller = new TuningController(
      clock, tuner, createChangePointDetector('cusum'), home,
      (config, done) => { lanes.push({ lane: 'main', config }); done(); },
      (event) => events.push(event),
      { sloMs: 300, minRequests: 10, minWindowMs: 1000, trial: { share: 0.25, apply: (config, _share, done) => { lanes.push({ lane: 'trial', ...(config ? { config } : {}) }); done(); } } },
    );
    // One second of 40 requests: 30 on the configuration in force at 100 ms, 10 on the slice at 200 ms.
    const second = (trialLatencyMs: number) => {
      controller.recordArrivals(40);
      for (let i = 0; i < 30; i++) controller.recordAnswer(clock.nowMs(), 100, true);
      controller.recordInvocation(30e-6, 30);
      for (let i = 0; i < 10; i++) controller.recordAnswer(clock.nowMs(), trialLatencyMs, true, true);
      controller.recordInvocation(5e-6, 10, undefined, undefined, undefined, true);
      clock.advance(1000);
    };
    // No configuration within the SLO yet: a suggestion takes all the traffic, and answers
    // said to be the slice's (none is on trial) count for nothing.
    state.suggestion = { ...home, batchSize: 4 };
    second(200);
    expect(observed).toHaveLength(1);
    expect(observed[0]!.p99Ms).toBeCloseTo(100);
    expect(lanes).toEqual([{ lane: 'main', config: { ...home, batchSize: 4 } }]);
    state.suggestion = home;
    second(200);
    expect(controller.config).toEqual(home);
    // Now one is: the next suggestion goes on the slice.
    state.best = home;
    state.suggestion = candidate;
    lanes.length = 0;
    second(200);
    expect(lanes).toEqual([{ lane: 'trial', config: candidate }]);
    expect(controller.trial).toEqual(candidate);
    expect(controller.config).toEqual(home);
    expect(events.at(-1)).toMatchObject({ kind: 'applied', config: candidate, slice: 0.25 });
    // The window closes on the slice's requests (10 a second: one second): both lanes are
    // measured, each at its share of the rate.
    observed.length = 0;
    second(200);
    expect(observed.map((o) => o.config)).toEqual([home, candidate]);
    expect(observed[0]!.ratePerS).toBeCloseTo(30);
    expect(observed[1]!.ratePerS).toBeCloseTo(10);
    expect(observed[1]!.p99Ms).toBeCloseTo(200);
    expect(observed[1]!.costUsdPerRequest).toBeCloseTo(0.5e-6);
    expect(events.filter((e) => e.kind === 'evaluated').at(-1)).toMatchObject({ config: candidate, slice: 0.25 });
    // The trial is kept: the slice is emptied first, then everything moves to it.
    state.best = candidate;
    lanes.length = 0;
    second(200);
    expect(lanes).toEqual([{ lane: 'trial' }, { lane: 'main', config: candidate }]);
    expect(controller.trial).toBeUndefined();
    expect(controller.config).toEqual(candidate);
    controller.stop();
  });

  it('measures the first window again when told to (serving starts on a fleet that is mostly cold)', () => {
    const clock = new VirtualClock();
    const observed: number[] = [];
    const tuner = {
      suggest: () => ({ memoryMb: 1769, batchSize: 8, processes: 1, reason: 'stay' }),
      observe: (_config: Config, evaluation: { p99Ms: number }) => void observed.push(evaluation.p99Ms),
      restart: () => undefined,
    };
    const controller = new TuningController(
      clock, tuner, createChangePointDetector('cusum'), { memoryMb: 1769, batchSize: 8, processes: 1 },
      (_config, done) => done(), () => undefined, { sloMs: 300, minRequests: 2, minWindowMs: 1000, remeasureStart: true },
    );
    // A cold first window (1.5 s answers), then warm ones.
    for (const latencyMs of [1500, 100, 100]) {
      controller.recordArrivals(2);
      controller.recordAnswer(clock.nowMs(), latencyMs, true);
      controller.recordAnswer(clock.nowMs(), latencyMs, true);
      clock.advance(1000);
    }
    controller.stop();
    expect(observed).toEqual([100, 100]);
  });
});
