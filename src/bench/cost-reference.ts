import { defaultBatchSizes } from '../core/config-space.js';
import type { LatencyModel } from '../core/latency-model.js';
import { lambdaManagedInstancesPricing } from '../core/pricing.js';

/**
 * The modelled reference rows of `ferry bench cost` (issue 11, item 4): when is serverless
 * the wrong answer? Neither is simulated; both are priced from the same profile the
 * simulator uses, under assumptions stated here.
 */

/** An instance type: its hourly price and vCPUs. */
export interface InstanceType {
  name: string;
  usdPerH: number;
  vcpus: number;
}

/** What one vCPU of an always-on server sustains at an SLO. */
export interface VmCapacity {
  batchSize: number;
  /** Handler time of that batch at one full vCPU: its median and p99 (ms). */
  p50Ms: number;
  p99Ms: number;
  itemsPerSPerVcpu: number;
}

/**
 * The throughput of one vCPU at the best batch size that meets the SLO: one worker process
 * with one thread per vCPU, each running batches of b back to back (the profile's cell at
 * one full vCPU, batch b). A batch size meets the SLO when 2 x its p99 handler time is
 * within it: at the saturation the sizing plans for, a request arrives while its worker
 * runs the previous batch, waits for it (at most one handler time; its own batch fills
 * meanwhile, since b requests arrive per handler time at that rate), then runs in its own
 * batch. The best is the one with the most items per second at its median, b / p50.
 * Undefined when not even one request per batch meets the SLO.
 * Assumes the VM's vCPUs are as fast as a Lambda vCPU share of the same size (both are
 * hyperthreads of a current x86 core), and leaves out the server's own HTTP work.
 */
export function vmCapacityPerVcpu(latency: LatencyModel, sloMs: number, batchSizes: readonly number[] = defaultBatchSizes): VmCapacity | undefined {
  let best: VmCapacity | undefined;
  for (const batchSize of batchSizes) {
    const { p50Ms, p99Ms } = latency.serviceMs(batchSize, 1, 1, 1);
    if (2 * p99Ms > sloMs) continue;
    const itemsPerSPerVcpu = (batchSize * 1000) / p50Ms;
    if (!best || itemsPerSPerVcpu > best.itemsPerSPerVcpu) best = { batchSize, p50Ms, p99Ms, itemsPerSPerVcpu };
  }
  return best;
}

/** Instances of `vm` that hold `ratePerS` at `capacity`: at least one (an always-on server never scales to zero). */
export function instancesFor(ratePerS: number, capacity: VmCapacity, vm: InstanceType, minInstances = 1): number {
  const perInstance = capacity.itemsPerSPerVcpu * vm.vcpus;
  return Math.max(minInstances, Math.ceil(ratePerS / perInstance - 1e-9));
}

export interface ReferenceCost {
  /** The modelled bill over the trace. */
  costUsd: number;
  costPerMillionUsd: number;
  /** Instances (the peak count for a scaled fleet). */
  instances: number;
  detail: string;
}

/**
 * (a) An always-on server: the cheapest number of instances of `vm` that holds the trace's
 * peak (its busiest minute) at the SLO, running for the whole trace.
 */
export function alwaysOnVmCost(peakRatePerS: number, requests: number, durationS: number, capacity: VmCapacity, vm: InstanceType): ReferenceCost {
  const instances = instancesFor(peakRatePerS, capacity, vm);
  const costUsd = (instances * vm.usdPerH * durationS) / 3600;
  return {
    costUsd, costPerMillionUsd: requests > 0 ? (costUsd / requests) * 1e6 : 0, instances,
    detail: `${instances} x ${vm.name} (${vm.vcpus} vCPUs, $${vm.usdPerH}/h) for a peak of ${peakRatePerS.toFixed(1)} req/s at batch ${capacity.batchSize} (${capacity.itemsPerSPerVcpu.toFixed(0)} req/s per vCPU)`,
  };
}

/** Options of the Lambda Managed Instances row: the instance type and the fleet's floor. */
export interface ManagedInstancesOptions {
  instance: InstanceType;
  /** @default 3 (a capacity provider's default, for Availability-Zone resiliency) */
  minInstances?: number;
}

/**
 * (b) Lambda Managed Instances: instances of the same type, billed at the EC2 price plus
 * the 15% management fee, plus $0.20 per million requests, several requests per execution
 * environment (so the same capacity per vCPU as the server), no scale to zero. Its fleet
 * scales on CPU use, absorbing a doubling of traffic within 5 minutes; modelled as sized,
 * for every 5-minute segment of the trace, to that segment's busiest minute, and never
 * below `minInstances`. `segmentPeaksPerS` are those peaks, one per 5 minutes, in order
 * (the last segment may be shorter: `durationS` says how long the trace is).
 */
export function managedInstancesCost(segmentPeaksPerS: readonly number[], requests: number, durationS: number, capacity: VmCapacity, options: ManagedInstancesOptions): ReferenceCost {
  const minInstances = options.minInstances ?? lambdaManagedInstancesPricing.defaultMinInstances;
  const hourly = options.instance.usdPerH * (1 + lambdaManagedInstancesPricing.managementFeeShare);
  const segmentS = 300;
  let instanceS = 0;
  let peakInstances = minInstances;
  segmentPeaksPerS.forEach((peak, i) => {
    const lengthS = Math.max(0, Math.min(segmentS, durationS - i * segmentS));
    const instances = instancesFor(peak, capacity, options.instance, minInstances);
    peakInstances = Math.max(peakInstances, instances);
    instanceS += instances * lengthS;
  });
  const costUsd = (hourly * instanceS) / 3600 + requests * lambdaManagedInstancesPricing.requestUsd;
  return {
    costUsd, costPerMillionUsd: requests > 0 ? (costUsd / requests) * 1e6 : 0, instances: peakInstances,
    detail: `${minInstances}..${peakInstances} x ${options.instance.name} at $${hourly.toFixed(4)}/h (EC2 + ${lambdaManagedInstancesPricing.managementFeeShare * 100}% fee) + $0.20/M requests, sized per 5 minutes`,
  };
}

/** Cost per million requests of each reference at a steady rate (the crossover ladder's). */
export function steadyVmPerMillionUsd(ratePerS: number, capacity: VmCapacity, vm: InstanceType): number {
  return (instancesFor(ratePerS, capacity, vm) * vm.usdPerH) / 3600 / ratePerS * 1e6;
}

export function steadyManagedInstancesPerMillionUsd(ratePerS: number, capacity: VmCapacity, options: ManagedInstancesOptions): number {
  const minInstances = options.minInstances ?? lambdaManagedInstancesPricing.defaultMinInstances;
  const hourly = options.instance.usdPerH * (1 + lambdaManagedInstancesPricing.managementFeeShare);
  return (instancesFor(ratePerS, capacity, options.instance, minInstances) * hourly) / 3600 / ratePerS * 1e6 + lambdaManagedInstancesPricing.requestUsd * 1e6;
}

/** Where a reference becomes cheaper than a policy, over the ladder's range of rates. */
export type Crossover =
  | { kind: 'at'; ratePerS: number }
  /** Cheaper at every rate of the ladder: the crossover is at or below its lowest rate. */
  | { kind: 'below'; ratePerS: number }
  /** Never cheaper up to the ladder's highest rate. */
  | { kind: 'above'; ratePerS: number };

/**
 * The steady rate above which `reference(rate)` stays below the policy's cost, the policy
 * measured at the ladder's rates and interpolated between them linearly in log(rate) and
 * log(cost) (cost per request falls roughly as a power of the rate where batching fills
 * with rate). Scanned on a grid of 400 points per decade between the lowest and highest
 * ladder rate; the reference's own steps (a whole number of instances) are evaluated
 * exactly at every grid point. The answer is the first grid rate after the last one where
 * the reference was not cheaper.
 */
export function crossoverRatePerS(ladder: readonly { ratePerS: number; costPerMillionUsd: number }[], reference: (ratePerS: number) => number): Crossover | undefined {
  const points = ladder.filter((p) => p.ratePerS > 0 && p.costPerMillionUsd > 0).sort((a, b) => a.ratePerS - b.ratePerS);
  if (points.length === 0) return undefined;
  const lo = Math.log10(points[0]!.ratePerS);
  const hi = Math.log10(points[points.length - 1]!.ratePerS);
  const steps = Math.max(1, Math.round((hi - lo) * 400));
  const policyAt = (ratePerS: number) => {
    if (points.length === 1) return points[0]!.costPerMillionUsd;
    let i = 0;
    while (i < points.length - 2 && ratePerS > points[i + 1]!.ratePerS) i++;
    const a = points[i]!;
    const b = points[i + 1]!;
    const t = (Math.log(ratePerS) - Math.log(a.ratePerS)) / (Math.log(b.ratePerS) - Math.log(a.ratePerS));
    return Math.exp(Math.log(a.costPerMillionUsd) + t * (Math.log(b.costPerMillionUsd) - Math.log(a.costPerMillionUsd)));
  };
  let lastNotCheaper = -1;
  const rates: number[] = [];
  for (let k = 0; k <= steps; k++) {
    const ratePerS = 10 ** (lo + ((hi - lo) * k) / steps);
    rates.push(ratePerS);
    if (!(reference(ratePerS) < policyAt(ratePerS))) lastNotCheaper = k;
  }
  if (lastNotCheaper === -1) return { kind: 'below', ratePerS: rates[0]! };
  if (lastNotCheaper === steps) return { kind: 'above', ratePerS: rates[steps]! };
  return { kind: 'at', ratePerS: rates[lastNotCheaper + 1]! };
}
