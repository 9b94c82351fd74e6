import type { LatencyModel } from '../core/latency-model.js';
import { FerryError } from '../core/errors.js';
import type { EventInput } from '../core/function-event.js';
import { Rng } from '../core/random.js';
import { VirtualClock } from '../core/virtual-clock.js';
import { combineObservers, TuningEventSink, type ServingObserver } from '../serving/events.js';
import { Gateway, type AdmittedInput } from '../serving/gateway.js';
import type { ServiceTimePriorFor } from '../serving/model-batcher.js';
import type { ModelConfig } from '../serving/model-config.js';
import type { ItemSettlement } from '../serving/pending-item.js';
import { SimReport, type AnswerLog, type PolicyTotals, type TimelineWindow } from './sim-report.js';
import { SimulatedInvoker, type SimPlatformOptions } from './sim-invoker.js';

/** Everything one simulated run needs besides the policy. */
export interface SimulationSetup {
  model: string;
  /** Arrival offsets in ms from the start of traffic, ascending. */
  scheduleMs: readonly number[];
  sloMs: number;
  seed: number;
  latency: LatencyModel;
  /** The platform: host cores, concurrency limit, keep-alive, cold starts, overheads. */
  platform: Omit<SimPlatformOptions, 'latency' | 'random'>;
  /** Invocations in flight the gateway allows (`ferry serve --concurrency`). */
  maxInFlight: number;
  /** Instances warmed up before traffic starts, as `ferry serve` does. */
  warmInstances: number;
  /** Bytes one request adds to an invocation's payload. */
  payloadBytesPerItem: number;
  /** Timeline window. @default a 60th of the trace's span, within 10 s..300 s */
  windowMs?: number;
  /** Request items queued per model before QUEUE_FULL. @default 1024 (`ferry serve`'s) */
  maxQueue?: number;
  /** The gateway's first guess of service times, from the profile. */
  serviceTimePrior?: ServiceTimePriorFor;
  /**
   * Stop early once so many requests missed the SLO that the run's attainment must end
   * below this (a search that only needs to know "infeasible"). @default never
   */
  abortBelowAttainment?: number;
  /** Keep every answer's arrival time and outcome (`PolicyResult.answerLog`), for attainment over sub-intervals. @default false */
  recordAnswers?: boolean;
}

/** What a policy sees of a run once serving exists. */
export interface PolicyContext {
  setup: SimulationSetup;
  clock: VirtualClock;
  gateway: Gateway;
  invoker: SimulatedInvoker;
  report: SimReport;
  sink: TuningEventSink;
  rng: Rng;
}

/** One run of a policy: the configuration it starts with, and what it does during the run. */
export interface PolicyRun {
  config: ModelConfig;
  /** Hears serving as the tuner does (arrivals, answers, invocations). */
  observer?: ServingObserver;
  /** Called once serving exists, before warm-up and traffic. */
  start?(context: PolicyContext): void;
  stop?(): void;
  /** What the policy chose and why, for the report. */
  describe?(): string;
  /**
   * A bound rather than a run (the oracle): its cost and attainment replace the run's,
   * which then only draws the timeline.
   */
  bound?: { costUsd: number; requests: number; withinSlo: number };
}

/** A named strategy (src/sim/policies/): a fresh run per simulation. */
export interface Policy {
  readonly name: string;
  create(setup: SimulationSetup, rng: Rng): PolicyRun;
}

export interface PolicyResult extends PolicyTotals {
  name: string;
  /** What the policy chose, in words. */
  detail: string;
  windows: TimelineWindow[];
  tuningEvents: SimReport['tuningEvents'];
  /** Virtual time the run took, arrivals and answers, in s. */
  simulatedS: number;
  /** Timers the event engine fired. */
  events: number;
  /** With `setup.recordAnswers`: every answer by arrival, and when the configuration changed. */
  answerLog?: AnswerLog;
}

/** A placeholder image: the simulated platform runs no model, only its payload size counts. */
const simulatedInput: EventInput = Object.freeze({ image: '' }) as EventInput;

/** How long after the last arrival a run may go on before unanswered requests count as lost. */
const drainLimitMs = 15 * 60_000;

/**
 * Runs one policy over the arrivals on a virtual clock: the production Gateway (batcher,
 * dispatcher, timeouts, retries), the policy's own control code, and the simulated
 * platform (src/sim/sim-invoker.ts), all stepped by one event engine (the heap clock),
 * with no microtask in between. Deterministic for a seed.
 */
export function simulatePolicy(policy: Policy, setup: SimulationSetup, functionName = 'fn'): PolicyResult {
  const rng = new Rng(setup.seed);
  const clock = new VirtualClock(0, 1_000_000);
  const run = policy.create(setup, rng.fork());
  const config: ModelConfig = { ...run.config, functionName };
  const platformRng = rng.fork();
  const invoker = new SimulatedInvoker(clock, { [functionName]: config.memoryMb }, { ...setup.platform, latency: setup.latency, random: () => platformRng.next() });
  const spanMs = setup.scheduleMs.length > 0 ? setup.scheduleMs[setup.scheduleMs.length - 1]! : 0;
  const windowMs = setup.windowMs ?? Math.min(300_000, Math.max(10_000, Math.round(spanMs / 60 / 1000) * 1000));
  const report = new SimReport(setup.sloMs, windowMs, setup.recordAnswers ?? false);
  const sink = new TuningEventSink();
  sink.subscribe((event) => report.onTuning(event));
  const dispatcherRng = rng.fork();
  const gateway = new Gateway({
    invoker, clock, models: { [setup.model]: config }, maxQueue: setup.maxQueue ?? 1024,
    dispatcher: { maxInFlight: setup.maxInFlight, invocationTimeoutMs: ((setup.platform.timeoutS ?? 30) + 5) * 1000, random: () => dispatcherRng.next() },
    observer: combineObservers([report, ...(run.observer ? [run.observer] : [])]),
    ...(setup.serviceTimePrior ? { serviceTimePrior: () => setup.serviceTimePrior } : {}),
  });
  run.start?.({ setup, clock, gateway, invoker, report, sink, rng: rng.fork() });

  const schedule = setup.scheduleMs;
  const input: AdmittedInput = { input: simulatedInput, payloadBytes: setup.payloadBytesPerItem };
  const inputs = [input];
  let next = 0;
  let trafficStartMs = 0;
  let started = false;
  const onAnswered = (_answers: ItemSettlement[]) => undefined;
  const arrive = () => {
    const dueMs = trafficStartMs + schedule[next]!;
    // Every arrival due at this instant, one request each (as clients send them).
    while (next < schedule.length && trafficStartMs + schedule[next]! <= dueMs) {
      next++;
      try {
        gateway.submit(setup.model, inputs, onAnswered);
      } catch (error) {
        if (!(error instanceof FerryError)) throw error;
        // Refused at admission (QUEUE_FULL): answered at once with an explicit error.
        report.onArrivals(setup.model, 1);
        report.onAnswer(setup.model, clock.nowMs(), 0, { error: { code: error.code, message: error.message } });
      }
    }
    if (next < schedule.length) clock.setTimer(trafficStartMs + schedule[next]! - clock.nowMs(), arrive);
  };
  const startTraffic = () => {
    trafficStartMs = clock.nowMs();
    started = true;
    if (schedule.length > 0) clock.setTimer(schedule[0]!, arrive);
    const closeWindow = () => {
      report.closeWindow(clock.nowMs() - trafficStartMs - windowMs);
      if (next < schedule.length || report.answeredCount < report.requests) clock.setTimer(windowMs, closeWindow, { background: true });
    };
    clock.setTimer(windowMs, closeWindow, { background: true });
  };
  if (setup.warmInstances > 0) gateway.warmUp(setup.model, setup.warmInstances, () => startTraffic());
  else startTraffic();

  let events = 0;
  // Misses allowed before attainment is certainly below the bound.
  const maxMisses = setup.abortBelowAttainment === undefined ? Infinity : (1 - setup.abortBelowAttainment) * schedule.length;
  const lastArrivalMs = schedule.length > 0 ? schedule[schedule.length - 1]! : 0;
  for (;;) {
    // Done once every arrival was submitted and answered (background timers, such as the
    // tuner's interval and keep-alive reaping, would otherwise run on forever).
    if (started && next === schedule.length && report.answeredCount >= report.requests) break;
    if (clock.nowMs() > trafficStartMs + lastArrivalMs + drainLimitMs) break;
    if (report.missCount > maxMisses) break;
    if (!clock.step()) break;
    events++;
  }
  run.stop?.();
  const measured = report.totals();
  const totals = run.bound
    ? {
      ...measured, costUsd: run.bound.costUsd, warmupCostUsd: 0,
      costPerMillionUsd: run.bound.requests > 0 ? (run.bound.costUsd / run.bound.requests) * 1e6 : 0,
      sloAttainment: run.bound.requests > 0 ? run.bound.withinSlo / run.bound.requests : 1,
    }
    : measured;
  report.closeWindow(Math.max(0, clock.nowMs() - trafficStartMs - (clock.nowMs() - trafficStartMs) % windowMs));
  const answerLog = report.answerLog(trafficStartMs);
  return {
    name: policy.name, detail: run.describe?.() ?? '', ...totals,
    windows: report.windows, tuningEvents: report.tuningEvents,
    simulatedS: (clock.nowMs() - trafficStartMs) / 1000, events,
    ...(answerLog ? { answerLog } : {}),
  };
}
