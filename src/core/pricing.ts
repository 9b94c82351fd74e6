/**
 * AWS Lambda's prices and limits, in one table so that they can be updated in one place.
 * Source: AWS Lambda pricing page, us-east-1 list prices (as recorded in ferry's design,
 * checked 2026-11-27). Prices change rarely, but do check before quoting absolute dollars;
 * ferry's comparisons are ratios under one table, which a price change scales alike.
 */
export const lambdaPricing = {
  source: 'AWS Lambda pricing, us-east-1 list prices',
  asOf: '2026-11-27',
  gbSecondUsd: { x86_64: 0.0000166667, arm64: 0.0000133334 },
  requestUsd: 0.2 / 1_000_000,
  /**
   * Since 2025-08-01 Lambda bills the INIT phase of on-demand functions with managed
   * runtimes, so a cold start's init time is part of its billed duration.
   */
  initBilled: true,
} as const;

export const lambdaLimits = {
  minMemoryMb: 128,
  maxMemoryMb: 10_240,
  /** Lambda gives one vCPU's worth of CPU time per 1,769 MB. */
  mbPerVcpu: 1769,
  maxVcpus: 6,
  /** Synchronous invoke: request and response payloads. */
  maxPayloadBytes: 6 * 1024 * 1024,
  maxTimeoutS: 900,
  /** A zip sent in CreateFunction / UpdateFunctionCode itself; larger ones go through S3. */
  maxDirectUploadZipBytes: 50 * 1024 * 1024,
  /** The package unzipped (function code and layers together). */
  maxUnzippedPackageBytes: 250 * 1024 * 1024,
  maxInitMs: 10_000,
  /** Concurrent executions per account and region, by default. */
  defaultConcurrency: 1000,
} as const;

export type Architecture = keyof typeof lambdaPricing.gbSecondUsd;

/**
 * CPU share of a function of `memoryMb`: proportional to memory, 1 vCPU at 1,769 MB. AWS
 * quotes "up to 6 vCPUs" at 10,240 MB, where the proportional rule gives 5.79; ferry uses
 * the proportional rule (the documented one) and caps at 6.
 */
export function vcpusForMemory(memoryMb: number): number {
  return Math.min(lambdaLimits.maxVcpus, memoryMb / lambdaLimits.mbPerVcpu);
}

export function checkMemoryMb(memoryMb: number): string | undefined {
  if (!Number.isInteger(memoryMb) || memoryMb < lambdaLimits.minMemoryMb || memoryMb > lambdaLimits.maxMemoryMb) {
    return `Expected memory to be an integer number of MB in ${lambdaLimits.minMemoryMb}..${lambdaLimits.maxMemoryMb}, got ${memoryMb}`;
  }
  return undefined;
}
