import type { Policy } from '../simulate.js';
import { describeConfig, modelConfig } from './static.js';

/**
 * The original serverless inference system: one request per invocation, one process, a
 * fixed memory size (3008 MB, the old Lambda maximum that ML functions commonly used).
 * Its thread count decides its cost, so both are run and the cheaper is the baseline
 * (src/sim/policies/index.ts): measured live on this machine, one ONNX thread cost $0.82
 * per million against two threads' $1.42 at 3008 MB (two threads under a 1.7-vCPU quota
 * lose to spinning and throttling).
 */
export function perRequestPolicy(threadsPerProcess: 1 | 2, memoryMb = 3008): Policy {
  const config = { memoryMb, batchSize: 1, processes: 1, threadsPerProcess };
  return {
    name: `per-request (${threadsPerProcess} thread${threadsPerProcess === 1 ? '' : 's'})`,
    create: (setup) => ({ config: modelConfig(config, setup.sloMs), describe: () => describeConfig(config) }),
  };
}
