import { createChangePointDetector, type ChangePointDetectorName } from '../../core/change-point/detectors.js';
import type { Tuner } from '../../core/tuning-controller.js';
import { Autotune, type AutotuneWindows } from '../../serving/autotune.js';
import { createOnlineTuner, type OnlineTunerOptions } from '../../serving/online-tuner.js';
import type { Policy } from '../simulate.js';
import { defaultStaticConfig, describeConfig, modelConfig, type StaticConfig } from './static.js';

export interface JointBoOptions {
  /** Where tuning starts: `ferry serve`'s defaults. */
  initial?: StaticConfig;
  detector?: ChangePointDetectorName;
  /** `ferry serve --tune-window-requests` / `--tune-window-s`. @default 200 and 20 s */
  windows?: AutotuneWindows;
  /** Wraps the optimizer (the simulator benchmark times its suggest and observe calls). */
  wrapTuner?: (tuner: Tuner) => Tuner;
  /**
   * The optimizer's seed, as `ferry serve --tune --seed` (a fidelity run gives live and
   * simulated tuning the same one). @default drawn from the run's seeded random source
   */
  tunerSeed?: number;
  /** `ferry serve --tune-horizon-s` (0: exploration not priced). @default serve's */
  horizonS?: number;
  /** The optimizer's settings (ferry serve keeps the defaults): for experiments. */
  tuning?: OnlineTunerOptions['tuning'];
}

/**
 * ferry itself: `ferry serve --tune`'s controller, optimizer and detector, unchanged (the
 * same Autotune, BayesOpt and re-tuning trigger that serve builds, with the same options),
 * wired to the simulated gateway instead of the live one.
 */
export function jointBoPolicy(options: JointBoOptions = {}): Policy {
  return {
    name: 'joint-bo',
    create: (setup, rng) => {
      const initial = options.initial ?? defaultStaticConfig;
      let autotune: Autotune | undefined;
      let applied = 0;
      return {
        config: modelConfig(initial, setup.sloMs),
        observer: {
          onArrivals: (model, count) => autotune?.onArrivals(model, count),
          onAnswer: (model, arrivalMs, latencyMs, answer, trial) => autotune?.onAnswer(model, arrivalMs, latencyMs, answer, trial),
          onInvocation: (record) => autotune?.onInvocation(record),
        },
        start: ({ clock, gateway, sink }) => {
          autotune = new Autotune(sink, clock);
          sink.subscribe((event) => {
            if (event.kind === 'applied') applied++;
          });
          const windows = { minRequests: 200, minWindowMs: 20_000, ...options.windows };
          const tuner = createOnlineTuner({
            sloMs: setup.sloMs, seed: options.tunerSeed ?? Math.floor(rng.next() * 2 ** 31),
            windowRequests: windows.minRequests, windowMs: windows.minWindowMs, maxInstances: setup.maxInFlight,
            ...(setup.platform.memoryNeedMb ? { memoryNeed: setup.platform.memoryNeedMb } : {}),
            ...(options.horizonS !== undefined ? { horizonS: options.horizonS } : {}),
            ...(options.tuning ? { tuning: options.tuning } : {}),
          });
          autotune.start(gateway, [{
            model: setup.model,
            tuner: options.wrapTuner ? options.wrapTuner(tuner) : tuner,
            detector: createChangePointDetector(options.detector ?? 'bocpd', {}),
          }], windows);
        },
        stop: () => autotune?.stop(),
        describe: () => {
          const config = autotune?.config(setup.model);
          return `tuned online from ${describeConfig(initial)}; ${applied} configuration(s) applied${config ? `, last ${config.memoryMb} MB, batch ${config.batchSize}, ${config.processes} process(es)` : ''}`;
        },
      };
    },
  };
}
