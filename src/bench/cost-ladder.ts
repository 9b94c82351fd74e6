import { runPolicy } from '../sim/run-policies.js';
import { buildSetup } from '../sim/setup.js';
import { hostCostUsd } from './cost-columns.js';
import { policyOptions, type Progress } from './cost-matrix.js';
import {
  crossoverRatePerS, steadyManagedInstancesPerMillionUsd, steadyVmPerMillionUsd, vmCapacityPerVcpu, type Crossover, type InstanceType, type VmCapacity,
} from './cost-reference.js';

/**
 * The steady-rate ladder behind the crossover table: joint-bo and power-tuned on Poisson
 * traces at each rate, and the two modelled references priced at the same rates.
 */
export interface LadderOptions {
  models: readonly string[];
  slosMs: readonly number[];
  ratesPerS: readonly number[];
  durationS: number;
  seed: number;
  gatewayHostUsdPerH: number;
  vm: InstanceType;
  lmiMinInstances: number;
  baselineMemoryMb: number;
  oracleSegmentS: number;
}

export interface LadderPoint {
  ratePerS: number;
  requests: number;
  jointBo: { costPerMillionUsd: number; sloAttainment: number };
  /** joint-bo with the gateway host's price over the run added. */
  jointBoWithHostPerMillionUsd: number;
  powerTuned: { costPerMillionUsd: number; sloAttainment: number };
  vmPerMillionUsd?: number;
  managedInstancesPerMillionUsd?: number;
}

/** Where each reference becomes cheaper than each policy, for one model and SLO. */
export interface CrossoverRow {
  model: string;
  sloMs: number;
  vmCapacity?: VmCapacity;
  points: LadderPoint[];
  vm?: { jointBo?: Crossover; jointBoWithHost?: Crossover; powerTuned?: Crossover };
  managedInstances?: { jointBo?: Crossover; jointBoWithHost?: Crossover; powerTuned?: Crossover };
}

export function ladderTrace(ratePerS: number, durationS: number, seed: number): string {
  return `gen:poisson?rate-per-s=${ratePerS}&duration-s=${durationS}&seed=${seed}`;
}

export function runCrossovers(options: LadderOptions, progress: Progress = () => undefined): CrossoverRow[] {
  const rows: CrossoverRow[] = [];
  const total = options.models.length * options.slosMs.length * options.ratesPerS.length * 2;
  let done = 0;
  for (const model of options.models) {
    for (const sloMs of options.slosMs) {
      const points: LadderPoint[] = [];
      let capacity: VmCapacity | undefined;
      for (const ratePerS of options.ratesPerS) {
        const { setup } = buildSetup({ trace: ladderTrace(ratePerS, options.durationS, options.seed), model, sloMs, seed: options.seed });
        capacity ??= vmCapacityPerVcpu(setup.latency, sloMs);
        const label = `ladder ${model} SLO ${sloMs} ms at ${ratePerS} req/s`;
        const policies = policyOptions(options.baselineMemoryMb, options.oracleSegmentS);
        progress(done++, total, `${label}: joint-bo`);
        const jointBo = runPolicy('joint-bo', setup, policies).row;
        progress(done++, total, `${label}: power-tuned`);
        const powerTuned = runPolicy('power-tuned', setup, policies).row;
        const spanS = setup.scheduleMs.length > 0 ? setup.scheduleMs[setup.scheduleMs.length - 1]! / 1000 : options.durationS;
        points.push({
          ratePerS, requests: setup.scheduleMs.length,
          jointBo: { costPerMillionUsd: jointBo.costPerMillionUsd, sloAttainment: jointBo.sloAttainment },
          jointBoWithHostPerMillionUsd: jointBo.costPerMillionUsd + (hostCostUsd(options.gatewayHostUsdPerH, spanS) / Math.max(1, jointBo.requests)) * 1e6,
          powerTuned: { costPerMillionUsd: powerTuned.costPerMillionUsd, sloAttainment: powerTuned.sloAttainment },
          ...(capacity ? {
            vmPerMillionUsd: steadyVmPerMillionUsd(ratePerS, capacity, options.vm),
            managedInstancesPerMillionUsd: steadyManagedInstancesPerMillionUsd(ratePerS, capacity, { instance: options.vm, minInstances: options.lmiMinInstances }),
          } : {}),
        });
      }
      rows.push(crossoverRow(model, sloMs, points, capacity, options));
    }
  }
  progress(total, total, 'done');
  return rows;
}

/** The crossovers of one model and SLO from its ladder points (pure: the tests feed it hand-made points). */
export function crossoverRow(model: string, sloMs: number, points: LadderPoint[], capacity: VmCapacity | undefined, options: Pick<LadderOptions, 'vm' | 'lmiMinInstances'>): CrossoverRow {
  if (!capacity) return { model, sloMs, points };
  const series = (pick: (p: LadderPoint) => number) => points.map((p) => ({ ratePerS: p.ratePerS, costPerMillionUsd: pick(p) }));
  const against = (reference: (ratePerS: number) => number) => ({
    ...optionalCrossover('jointBo', crossoverRatePerS(series((p) => p.jointBo.costPerMillionUsd), reference)),
    ...optionalCrossover('jointBoWithHost', crossoverRatePerS(series((p) => p.jointBoWithHostPerMillionUsd), reference)),
    ...optionalCrossover('powerTuned', crossoverRatePerS(series((p) => p.powerTuned.costPerMillionUsd), reference)),
  });
  return {
    model, sloMs, vmCapacity: capacity, points,
    vm: against((r) => steadyVmPerMillionUsd(r, capacity, options.vm)),
    managedInstances: against((r) => steadyManagedInstancesPerMillionUsd(r, capacity, { instance: options.vm, minInstances: options.lmiMinInstances })),
  };
}

function optionalCrossover<K extends string>(key: K, value: Crossover | undefined): { [P in K]?: Crossover } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: Crossover };
}
