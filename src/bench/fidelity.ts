import { performance } from 'node:perf_hooks';
import { createChangePointDetector } from '../core/change-point/detectors.js';
import { runLoadgen } from '../loadgen/loadgen.js';
import type { ReplayProgress } from '../loadgen/replay.js';
import { modelInfo } from '../models/catalog.js';
import { Autotune, type AutotuneWindows } from '../serving/autotune.js';
import { combineObservers, TuningEventSink } from '../serving/events.js';
import { defaultModelConfig, type ModelConfig } from '../serving/model-config.js';
import { createOnlineTuner } from '../serving/online-tuner.js';
import { jointBoPolicy } from '../sim/policies/joint-bo.js';
import { staticPolicy, type StaticConfig } from '../sim/policies/static.js';
import { buildSetup } from '../sim/setup.js';
import { simulatePolicy, type Policy } from '../sim/simulate.js';
import { systemClock } from '../util/system-clock.js';
import { sampleHostLoad, type HostLoad } from './host-load.js';
import { fidelityRow, type FidelityRow, type FidelitySide } from './fidelity-rows.js';
import { InvocationRecorder, type InvocationSummary } from './invocation-recorder.js';
import { startLocalServing } from './local-serving.js';
import { round2 } from './round.js';

/** A policy compared live and simulated: one static configuration, or ferry's tuner. */
export type FidelityPolicy = { name: string; kind: 'static'; config: StaticConfig } | { name: string; kind: 'joint-bo' };

/** The original system's setting and ferry's default (those of bench:gateway's cost part), then the tuner. */
export const fidelityPolicies: readonly FidelityPolicy[] = [
  { name: 'static 1 x 1 x 3008 MB', kind: 'static', config: { batchSize: 1, processes: 1, threadsPerProcess: 1, memoryMb: 3008 } },
  { name: 'static 8 x 2 x 3538 MB', kind: 'static', config: { batchSize: 8, processes: 2, threadsPerProcess: 1, memoryMb: 3538 } },
  { name: 'joint-bo', kind: 'joint-bo' },
];

/** `ferry serve --tune`'s windows (src/sim/policies/joint-bo.ts uses the same). */
const tuneWindows: AutotuneWindows = { minRequests: 200, minWindowMs: 20_000 };

export interface FidelityOptions {
  model: string;
  trace: string;
  timeScale: number;
  durationS: number;
  sloMs: number;
  concurrency: number;
  /** Cores the simulator's instances share (this machine's). */
  hostCores: number;
  /** The simulator's seed and the optimizer's, live and simulated. */
  seed: number;
  cacheDir: string;
  /** The simulator's profile (`ferry profile --out`): this machine's. @default the shipped one */
  profile?: string;
  /** Which policies (by name); @default all */
  policies?: readonly FidelityPolicy[];
}

export interface FidelityDiagnostics {
  policy: string;
  hostLoad: HostLoad;
  /** CPU the benchmark's own process used during the replay, in cores (gateway, load generator, runtime API). */
  gatewayCores: number;
  live: InvocationSummary;
  sim: InvocationSummary;
  simDedicatedHost: InvocationSummary;
}

export interface FidelityResult {
  rows: FidelityRow[];
  diagnostics: FidelityDiagnostics[];
}

/**
 * The same trace slice served live (embedded runtime, real model, warmed up as `ferry
 * serve` does, replayed open loop by the load generator; cost from /metrics before and
 * after) and simulated with this machine's profile and cores, policy by policy. Both
 * sides leave out the initial warm-up's cost and keep everything billed after it.
 */
export async function runFidelityBench(
  options: FidelityOptions,
  log: (line: string) => void,
  onProgress?: (label: string, progress: ReplayProgress) => void,
): Promise<FidelityResult> {
  const rows: FidelityRow[] = [];
  const diagnostics: FidelityDiagnostics[] = [];
  for (const policy of options.policies ?? fidelityPolicies) {
    log(`${policy.name}: live, starting the runtime and warming up`);
    let live: Awaited<ReturnType<typeof runLive>>;
    try {
      live = await runLive(policy, options, log, onProgress);
    } catch (error) {
      // A live run that cannot start (INIT over Lambda's 10 s on a starved host) is a
      // result of this machine, not a reason to lose the other rows.
      const message = error instanceof Error ? error.message : String(error);
      log(`${policy.name}: live run failed: ${message}`);
      const dedicated = simulate(policy, options, 0);
      const none: FidelitySide = { costPerMillionUsd: Number.NaN, p99Ms: Number.NaN, sloAttainment: Number.NaN };
      rows.push({ ...fidelityRow(policy.name, none, dedicated.side, { simDedicatedHost: dedicated.side }), liveError: message });
      continue;
    }
    // What else wanted the host's cores: other programs, and this process itself (the
    // gateway, the load generator and the runtime's API, which on Lambda run elsewhere).
    const backgroundCores = round2(live.hostLoad.foreignRunnable + live.gatewayCores);
    log(`${policy.name}: simulating (host load ${live.hostLoad.foreignRunnable} foreign runnable threads + ${live.gatewayCores} cores of the gateway's process, and a dedicated host)`);
    const sim = simulate(policy, options, backgroundCores);
    const dedicated = simulate(policy, options, 0);
    rows.push(fidelityRow(policy.name, live.side, sim.side, { simDedicatedHost: dedicated.side, hostBackgroundCores: backgroundCores }));
    diagnostics.push({ policy: policy.name, hostLoad: live.hostLoad, gatewayCores: live.gatewayCores, live: live.summary, sim: sim.summary, simDedicatedHost: dedicated.summary });
  }
  return { rows, diagnostics };
}

async function runLive(
  policy: FidelityPolicy, options: FidelityOptions, log: (line: string) => void,
  onProgress?: (label: string, progress: ReplayProgress) => void,
): Promise<{ side: FidelitySide; summary: InvocationSummary; hostLoad: HostLoad; gatewayCores: number }> {
  const clock = systemClock();
  const recorder = new InvocationRecorder();
  // `ferry serve --tune`'s wiring (src/cli/serve.ts), without the tuning log: a fresh start.
  const autotune = policy.kind === 'joint-bo' ? new Autotune(new TuningEventSink(), clock) : undefined;
  const serving = await startLocalServing({
    model: options.model, config: liveConfig(policy, options), cacheDir: options.cacheDir, concurrency: options.concurrency,
    clock, observers: [recorder, ...(autotune ? [autotune] : [])],
  });
  try {
    autotune?.start(serving.gateway, [{
      model: options.model,
      tuner: createOnlineTuner({
        sloMs: options.sloMs, seed: options.seed, windowRequests: tuneWindows.minRequests!, windowMs: tuneWindows.minWindowMs!,
        memoryNeed: modelInfo(options.model).memoryNeedMb, maxInstances: options.concurrency,
      }),
      detector: createChangePointDetector('bocpd', {}),
    }], tuneWindows);
    log(`${policy.name}: live, replaying ${options.durationS} s of ${options.trace} at x${options.timeScale}`);
    const stopSampling = sampleHostLoad();
    const cpuBefore = process.cpuUsage();
    const wallBeforeMs = performance.now();
    let hostLoad: HostLoad;
    let gatewayCores = 0;
    const run = await runLoadgen({
      url: serving.url, model: options.model, trace: options.trace, timeScale: options.timeScale, durationS: options.durationS, sloMs: options.sloMs,
      ...(onProgress ? { onProgress: (p: ReplayProgress) => onProgress(policy.name, p) } : {}),
    }).finally(() => {
      hostLoad = stopSampling();
      const cpu = process.cpuUsage(cpuBefore);
      gatewayCores = round2((cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - wallBeforeMs));
    });
    const ok = run.report.byStatus['200'] ?? 0;
    log(`${policy.name}: live, ${ok} answered 200 of ${run.report.sent} sent, ${run.report.dropped} dropped`);
    return {
      side: {
        // gateway-cost.ts's figure: /metrics after minus before the replay, per 200 answer.
        costPerMillionUsd: (run.report.gateway?.costPer1kUsd ?? Number.NaN) * 1000,
        p99Ms: run.report.latency?.p99Ms ?? Number.NaN,
        sloAttainment: run.report.goodputShare ?? 0,
      },
      summary: recorder.summary(),
      hostLoad: hostLoad!,
      gatewayCores,
    };
  } finally {
    autotune?.stop();
    await serving.close();
  }
}

function simulate(policy: FidelityPolicy, options: FidelityOptions, hostBackgroundCores: number): { side: FidelitySide; summary: InvocationSummary } {
  const { setup } = buildSetup({
    trace: options.trace, model: options.model, sloMs: options.sloMs, seed: options.seed, timeScale: options.timeScale,
    durationS: options.durationS, hostCores: options.hostCores, hostBackgroundCores, concurrency: options.concurrency,
    ...(options.profile ? { profile: options.profile } : {}),
  });
  const recorder = new InvocationRecorder();
  const inner = policy.kind === 'static' ? staticPolicy(policy.config) : jointBoPolicy({ tunerSeed: options.seed, windows: tuneWindows });
  const result = simulatePolicy(withObserver(inner, recorder), setup);
  const summary = recorder.summary();
  const answeredOk = result.answered - result.throttled - result.errors;
  return {
    side: {
      // The recorder's cost leaves out the initial warm-up as the live scrape does (the
      // simulator's costUsd includes it; its warmupCostUsd also counts re-warm-ups, which live counts).
      costPerMillionUsd: answeredOk > 0 ? (summary.costUsd / answeredOk) * 1e6 : Number.NaN,
      p99Ms: result.p99Ms,
      sloAttainment: result.sloAttainment,
    },
    summary,
  };
}


/** The policy with one more observer of serving (the recorder), its own kept. */
function withObserver(policy: Policy, recorder: InvocationRecorder): Policy {
  return {
    name: policy.name,
    create: (setup, rng) => {
      const run = policy.create(setup, rng);
      return { ...run, observer: combineObservers([recorder, ...(run.observer ? [run.observer] : [])]) };
    },
  };
}

function liveConfig(policy: FidelityPolicy, options: FidelityOptions): ModelConfig {
  const config = policy.kind === 'static' ? policy.config : {
    batchSize: defaultModelConfig.batchSize, processes: defaultModelConfig.processes,
    threadsPerProcess: defaultModelConfig.threadsPerProcess, memoryMb: defaultModelConfig.memoryMb,
  };
  return { functionName: options.model, ...config, sloMs: options.sloMs };
}
