import type { Policy } from '../simulate.js';
import { aimdPolicy } from './aimd.js';
import { batchPolicy } from './batch.js';
import { sliceTrials } from '../../serving/autotune.js';
import { jointBoPolicy } from './joint-bo.js';
import { oraclePolicy } from './oracle.js';
import { perRequestPolicy } from './per-request.js';
import { powerTunedPolicy } from './power-tuned.js';
import { staticPolicy, type StaticConfig } from './static.js';

export interface PolicyOptions {
  /** The `static` policy's configuration (`ferry serve`'s flags). */
  static: StaticConfig;
  /** Memory of `per-request` and `aimd`. @default 3008 */
  baselineMemoryMb: number;
  oracleSegmentS: number;
  /** joint-bo: `ferry serve --tune-horizon-s` (0: exploration not priced). @default serve's */
  tuneHorizonS?: number;
  /** joint-bo: `ferry serve --tune-slice` (trials on this share of the traffic). @default 0: off */
  tuneSlice?: number;
}

/**
 * A named strategy and the runs it takes: most are one run; `per-request` and
 * `power-tuned` run with one and with two ONNX threads and are reported as the cheaper of
 * the two (their strongest honest setting), with both shown.
 */
export interface PolicyEntry {
  name: string;
  what: string;
  variants(options: PolicyOptions): Policy[];
}

/** Every policy `ferry simulate --policies` knows, in the order of ARCHITECTURE.md's table. */
export const policyTable: readonly PolicyEntry[] = [
  { name: 'per-request', what: 'one request per invocation, one process, 3008 MB (the cheaper of 1 and 2 ONNX threads)', variants: (o) => [perRequestPolicy(1, o.baselineMemoryMb), perRequestPolicy(2, o.baselineMemoryMb)] },
  { name: 'power-tuned', what: "per-request at the memory AWS Lambda Power Tuning's cost strategy picks (tuning paid for)", variants: () => [powerTunedPolicy(1), powerTunedPolicy(2)] },
  { name: 'batch', what: 'BATCH (SC\'20): best memory, batch size and timeout with one process, re-chosen when arrivals change', variants: () => [batchPolicy()] },
  { name: 'aimd', what: 'Clipper (NSDI\'17): additive-increase, multiplicative-decrease batch size, fixed memory, one process', variants: (o) => [aimdPolicy({ memoryMb: o.baselineMemoryMb })] },
  { name: 'static', what: "one configuration, as `ferry serve` with the same flags", variants: (o) => [staticPolicy(o.static)] },
  { name: 'joint-bo', what: "ferry: `ferry serve --tune`'s controller, optimizer and detector", variants: (o) => [jointBoPolicy({
    ...(o.tuneHorizonS !== undefined ? { horizonS: o.tuneHorizonS } : {}), ...(o.tuneSlice ? { windows: { slice: sliceTrials(o.tuneSlice) } } : {}),
  })] },
  { name: 'oracle', what: 'the cheapest configuration meeting 99% per segment, in hindsight (a bound, not a policy)', variants: (o) => [oraclePolicy(o.oracleSegmentS)] },
];

export const policyNames: readonly string[] = policyTable.map((p) => p.name);

export function policyEntry(name: string): PolicyEntry | undefined {
  return policyTable.find((p) => p.name === name);
}
