import { defaultModelConfig, type ModelConfig } from '../../serving/model-config.js';
import type { Policy } from '../simulate.js';

/** The configuration flags of `ferry serve` (and of `ferry simulate`'s `static` policy). */
export interface StaticConfig {
  memoryMb: number;
  batchSize: number;
  processes: number;
  threadsPerProcess: number;
}

export const defaultStaticConfig: StaticConfig = {
  memoryMb: defaultModelConfig.memoryMb, batchSize: defaultModelConfig.batchSize,
  processes: defaultModelConfig.processes, threadsPerProcess: defaultModelConfig.threadsPerProcess,
};

export function modelConfig(config: StaticConfig, sloMs: number, extra: Partial<ModelConfig> = {}): ModelConfig {
  return { functionName: 'fn', ...config, sloMs, ...extra };
}

export function describeConfig(config: StaticConfig & { maxWaitMs?: number }): string {
  const wait = config.maxWaitMs === undefined ? '' : `, timeout ${Math.round(config.maxWaitMs)} ms`;
  return `${config.memoryMb} MB, batch ${config.batchSize}, ${config.processes} process(es) x ${config.threadsPerProcess} thread(s)${wait}`;
}

/** One configuration for the whole run, as `ferry serve` with the same flags (fidelity checks against live runs). */
export function staticPolicy(config: StaticConfig = defaultStaticConfig, name = 'static'): Policy {
  return {
    name,
    create: (setup) => ({ config: modelConfig(config, setup.sloMs), describe: () => describeConfig(config) }),
  };
}
