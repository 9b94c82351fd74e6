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

/**
 * Hourly prices of the servers the cost benchmark sets beside Lambda (`ferry bench cost`):
 * EC2 on-demand, Linux, us-east-1. The AWS EC2 pricing page renders its rates client-side;
 * the figures were checked against a third-party calculator that cites it (reviewed
 * 2026-04-17: t3.large $0.0832/h, t3 prices linear in size; c6i.2xlarge $0.34/h, c6i
 * likewise), so they are "as listed", to be rechecked before quoting absolute dollars.
 */
export const ec2Pricing = {
  source: 'AWS EC2 on-demand pricing, Linux, us-east-1 (via a calculator citing it, reviewed 2026-04-17)',
  asOf: '2026-12-03',
  /** The gateway's host: the paper's always-on EC2 host; a small burstable instance. */
  gatewayHost: { name: 't3.small', vcpus: 2, usdPerH: 0.0208 },
  /** The always-on server of the "is serverless the right answer?" reference row. */
  vm: { name: 'c6i.large', vcpus: 2, usdPerH: 0.085 },
} as const;

/**
 * AWS Lambda Managed Instances (announced November 2025, before re:Invent 2025): functions on EC2
 * instances in the user's account, several requests per execution environment, scaled on
 * CPU use, never to zero. Billed as the EC2 on-demand instance price, plus a management
 * fee of 15% of that price, plus the usual $0.20 per million requests (no duration
 * charge). A capacity provider starts three instances by default, for Availability-Zone
 * resiliency. Source: AWS Lambda pricing page ("15% premium on the EC2 on-demand instance
 * price", "$0.20 per million requests", as transcribed 2026-09-20) and the Lambda
 * developer guide, "Scaling Lambda Managed Instances" (three instances by default).
 */
export const lambdaManagedInstancesPricing = {
  source: 'AWS Lambda pricing (Managed Instances), us-east-1; Lambda developer guide, Scaling Lambda Managed Instances',
  asOf: '2026-12-03',
  managementFeeShare: 0.15,
  requestUsd: 0.2 / 1_000_000,
  defaultMinInstances: 3,
} as const;
