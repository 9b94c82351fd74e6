import { performance } from 'node:perf_hooks';
import { ec2Pricing, lambdaManagedInstancesPricing, lambdaPricing } from '../core/pricing.js';
import type { PolicyOptions } from '../sim/policies/index.js';
import { defaultStaticConfig } from '../sim/policies/static.js';
import { runPolicy, type PolicyRow } from '../sim/run-policies.js';
import { buildSetup } from '../sim/setup.js';
import type { SimulationSetup } from '../sim/simulate.js';
import { peakRatePerS, repeatSchedule } from '../trace/schedule.js';
import { buildCostRows, type CostRow } from './cost-rows.js';
import { alwaysOnVmCost, managedInstancesCost, vmCapacityPerVcpu, type InstanceType, type ReferenceCost, type VmCapacity } from './cost-reference.js';
import type { CostTrace } from './cost-traces.js';

export interface CostMatrixOptions {
  models: readonly string[];
  traces: readonly CostTrace[];
  slosMs: readonly number[];
  policies: readonly string[];
  seed: number;
  gatewayHostUsdPerH: number;
  vm: InstanceType;
  lmiMinInstances: number;
  /** A trace replayed faster than 1x and shorter than this is repeated end to end until it is this long. */
  minSpanS: number;
  baselineMemoryMb: number;
  oracleSegmentS: number;
  /** joint-bo's trials on this share of the traffic (`--tune-slice`). @default off */
  tuneSlice?: number;
}

/** A modelled reference row (not simulated). */
export interface ReferenceRow extends ReferenceCost {
  name: 'always-on VM' | 'Lambda Managed Instances';
  savingVsPerRequest?: number;
  savingVsPowerTuned?: number;
}

/** One (model, trace, SLO) of the matrix: every policy side by side, and the references. */
export interface CostCell {
  model: string;
  trace: string;
  traceLabel: string;
  timeScale: number;
  /** Copies of the (scaled) trace played end to end (1: not repeated). */
  copies: number;
  sloMs: number;
  requests: number;
  durationS: number;
  meanRatePerS: number;
  peakRatePerS: number;
  rows: CostRow[];
  references: ReferenceRow[];
  /** The VM sizing both references use (undefined: not even batch 1 meets the SLO at one vCPU). */
  vmCapacity?: VmCapacity;
  wallS: number;
}

export type Progress = (done: number, total: number, label: string) => void;

/** The prices the matrix used, with their sources: part of the JSON. */
export function pricesUsed(options: Pick<CostMatrixOptions, 'gatewayHostUsdPerH' | 'vm' | 'lmiMinInstances'>) {
  return {
    lambda: lambdaPricing,
    gatewayHost: { ...ec2Pricing.gatewayHost, usdPerH: options.gatewayHostUsdPerH, source: ec2Pricing.source, asOf: ec2Pricing.asOf },
    vm: { ...options.vm, source: ec2Pricing.source, asOf: ec2Pricing.asOf },
    lambdaManagedInstances: { ...lambdaManagedInstancesPricing, minInstances: options.lmiMinInstances },
  };
}

export function policyOptions(baselineMemoryMb: number, oracleSegmentS: number, tuneSlice?: number): PolicyOptions {
  return { static: defaultStaticConfig, baselineMemoryMb, oracleSegmentS, ...(tuneSlice ? { tuneSlice } : {}) };
}

/** The setup of one cell: the (scaled, maybe repeated) schedule, answers recorded for the episode columns. */
export function cellSetup(model: string, trace: CostTrace, sloMs: number, seed: number, minSpanS: number): { setup: SimulationSetup; traceLabel: string; copies: number } {
  const { setup, traceLabel } = buildSetup({ trace: trace.trace, model, sloMs, seed, timeScale: trace.timeScale });
  // Only a sped-up trace is repeated: the shipped ones at 1x are 57-58 minutes of their own.
  const repeated = trace.timeScale > 1 ? repeatSchedule(setup.scheduleMs, minSpanS * 1000) : { scheduleMs: setup.scheduleMs, copies: 1 };
  return { setup: { ...setup, scheduleMs: repeated.scheduleMs, recordAnswers: true }, traceLabel, copies: repeated.copies };
}

export function runCostCell(model: string, trace: CostTrace, sloMs: number, options: CostMatrixOptions, onPolicy: (name: string) => void = () => undefined): CostCell {
  const startMs = performance.now();
  const { setup, traceLabel, copies } = cellSetup(model, trace, sloMs, options.seed, options.minSpanS);
  const schedule = setup.scheduleMs;
  const durationS = schedule.length > 0 ? schedule[schedule.length - 1]! / 1000 : 0;
  const policyRuns = options.policies.map((name) => {
    onPolicy(name);
    return runPolicy(name, setup, policyOptions(options.baselineMemoryMb, options.oracleSegmentS, options.tuneSlice));
  });
  const rows = buildCostRows(policyRuns.map((r) => ({ row: r.row, result: r.result })), { durationS, gatewayHostUsdPerH: options.gatewayHostUsdPerH });
  const capacity = vmCapacityPerVcpu(setup.latency, sloMs);
  const perRequest = rows.find((r) => r.policy === 'per-request');
  const powerTuned = rows.find((r) => r.policy === 'power-tuned');
  const peak = peakRatePerS(schedule);
  const references: ReferenceRow[] = [];
  if (capacity) {
    const segmentPeaks: number[] = [];
    for (let fromMs = 0, i = 0; fromMs <= durationS * 1000; fromMs += 300_000) {
      const slice: number[] = [];
      while (i < schedule.length && schedule[i]! < fromMs + 300_000) slice.push(schedule[i++]!);
      segmentPeaks.push(peakRatePerS(slice));
    }
    const withSavings = (name: ReferenceRow['name'], cost: ReferenceCost): ReferenceRow => ({
      name, ...cost,
      ...(perRequest ? { savingVsPerRequest: 1 - cost.costPerMillionUsd / perRequest.costPerMillionUsd } : {}),
      ...(powerTuned ? { savingVsPowerTuned: 1 - cost.costPerMillionUsd / powerTuned.costPerMillionUsd } : {}),
    });
    references.push(withSavings('always-on VM', alwaysOnVmCost(peak, schedule.length, durationS, capacity, options.vm)));
    references.push(withSavings('Lambda Managed Instances', managedInstancesCost(segmentPeaks, schedule.length, durationS, capacity, { instance: options.vm, minInstances: options.lmiMinInstances })));
  }
  return {
    model, trace: trace.name, traceLabel, timeScale: trace.timeScale, copies, sloMs, requests: schedule.length, durationS,
    meanRatePerS: durationS > 0 ? schedule.length / durationS : 0, peakRatePerS: peak, rows, references,
    ...(capacity ? { vmCapacity: capacity } : {}),
    wallS: (performance.now() - startMs) / 1000,
  };
}

export type { PolicyRow };
