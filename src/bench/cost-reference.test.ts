import { describe, expect, it } from 'vitest';
import { LatencyModel } from '../core/latency-model.js';
import { crossoverRow } from './cost-ladder.js';
import {
  alwaysOnVmCost, crossoverRatePerS, instancesFor, managedInstancesCost, steadyManagedInstancesPerMillionUsd, steadyVmPerMillionUsd, vmCapacityPerVcpu,
} from './cost-reference.js';

/** Rows at one full vCPU, one process, one thread: batch -> [p50, p99]. */
function latency(cells: Record<number, [number, number]>): LatencyModel {
  return new LatencyModel(Object.entries(cells).map(([batch, [p50Ms, p99Ms]]) => ({ batch: Number(batch), processes: 1, threadsPerProcess: 1, vcpus: 1, p50Ms, p99Ms })));
}

const vm = { name: 'c6i.large', usdPerH: 0.085, vcpus: 2 };

/** Within 1% (the crossover scan's grid is 400 points a decade, 0.6% apart). */
const expectNear = (actual: number, expected: number) => expect(Math.abs(actual / expected - 1)).toBeLessThan(0.01);

describe('modelled references', () => {
  // batch 1: 10 ms (100/s), 4: 20 ms (200/s), 8: 32 ms (250/s), 16: 80 ms p99 120 (200/s)
  const model = latency({ 1: [10, 12], 4: [20, 30], 8: [32, 45], 16: [80, 120] });

  it('sizes a vCPU at the batch with the most items per second whose 2 x p99 meets the SLO', () => {
    // SLO 100 ms: batch 8 (2 x 45 = 90 <= 100) at 8 / 32 ms = 250 req/s; 16 is out (240 > 100).
    const at100 = vmCapacityPerVcpu(model, 100, [1, 4, 8, 16])!;
    expect(at100.batchSize).toBe(8);
    expect(at100.itemsPerSPerVcpu).toBeCloseTo(250, 9);
    // SLO 80 ms: batch 8 is out (90 > 80); batch 4 (60) at 200 req/s.
    expect(vmCapacityPerVcpu(model, 80, [1, 4, 8, 16])!.batchSize).toBe(4);
    // SLO 20 ms: not even batch 1 (2 x 12 = 24 > 20).
    expect(vmCapacityPerVcpu(model, 20, [1, 4, 8, 16])).toBeUndefined();
  });

  it('an always-on VM is the fewest instances that hold the peak, for the whole trace', () => {
    const capacity = vmCapacityPerVcpu(model, 100, [1, 4, 8, 16])!;
    // 500 req/s per 2-vCPU instance: a peak of 1,200 req/s needs 3; exactly 1,000 needs 2; 0 still 1.
    expect(instancesFor(1200, capacity, vm)).toBe(3);
    expect(instancesFor(1000, capacity, vm)).toBe(2);
    expect(instancesFor(0, capacity, vm)).toBe(1);
    const cost = alwaysOnVmCost(1200, 1_000_000, 7200, capacity, vm);
    expect(cost.instances).toBe(3);
    expect(cost.costUsd).toBeCloseTo(3 * 0.085 * 2, 12);
    expect(cost.costPerMillionUsd).toBeCloseTo(0.51, 12);
  });

  it('Lambda Managed Instances: EC2 price + 15% per instance-hour, sized per 5 minutes, floor 3, + $0.20 per million', () => {
    const capacity = vmCapacityPerVcpu(model, 100, [1, 4, 8, 16])!;
    // Two 5-minute segments: peak 100 req/s (1 instance, the floor makes it 3), then 2,000 (4 instances).
    const cost = managedInstancesCost([100, 2000], 400_000, 600, capacity, { instance: vm });
    const hourly = 0.085 * 1.15;
    expect(cost.instances).toBe(4);
    expect(cost.costUsd).toBeCloseTo(hourly * (3 * 300 + 4 * 300) / 3600 + 0.4 * 0.2, 12);
    // A shorter last segment is billed for its own length.
    const short = managedInstancesCost([100, 2000], 400_000, 400, capacity, { instance: vm, minInstances: 1 });
    expect(short.costUsd).toBeCloseTo(hourly * (1 * 300 + 4 * 100) / 3600 + 0.08, 12);
  });

  it('steady-rate costs per million follow the instance count', () => {
    const capacity = vmCapacityPerVcpu(model, 100, [1, 4, 8, 16])!;
    // 100 req/s on one instance: $0.085 / 360,000 requests = $0.2361 per million.
    expect(steadyVmPerMillionUsd(100, capacity, vm)).toBeCloseTo(0.085 / 360_000 * 1e6, 9);
    expect(steadyManagedInstancesPerMillionUsd(100, capacity, { instance: vm })).toBeCloseTo(3 * 0.085 * 1.15 / 360_000 * 1e6 + 0.2, 9);
  });

  it('the crossover is the rate above which the reference stays cheaper, interpolated on log scale', () => {
    // The policy costs $1 per million at every rate; the reference $100 / rate per million: cheaper above 100 req/s.
    const flat = [1, 10, 1000].map((ratePerS) => ({ ratePerS, costPerMillionUsd: 1 }));
    const at = crossoverRatePerS(flat, (r) => 100 / r)!;
    expect(at.kind).toBe('at');
    expect(at.ratePerS).toBeGreaterThanOrEqual(100 * 0.9999);
    expect(at.ratePerS).toBeLessThan(100 * 10 ** (1 / 400) * 1.0001);
    // Policy 10 / sqrt(rate) per million, log-log linear between 1 and 100 (10 -> 1); reference 100 / rate: equal at 100.
    const falling = [{ ratePerS: 1, costPerMillionUsd: 10 }, { ratePerS: 100, costPerMillionUsd: 1 }, { ratePerS: 10_000, costPerMillionUsd: 0.1 }];
    expectNear(crossoverRatePerS(falling, (r) => 100 / r)!.ratePerS, 100);
    expect(crossoverRatePerS(flat, () => 0.5)).toEqual({ kind: 'below', ratePerS: 1 });
    expect(crossoverRatePerS(flat, () => 2)).toEqual({ kind: 'above', ratePerS: 1000 });
    expect(crossoverRatePerS([], () => 2)).toBeUndefined();
  });

  it('a crossover row compares each reference with joint-bo, joint-bo with its host, and power-tuned', () => {
    const capacity = vmCapacityPerVcpu(model, 100, [1, 4, 8, 16])!;
    const points = [1, 10, 100, 1000].map((ratePerS) => ({
      ratePerS, requests: ratePerS * 3600,
      jointBo: { costPerMillionUsd: 0.5, sloAttainment: 1 }, jointBoWithHostPerMillionUsd: 0.5 + 0.0208 / (ratePerS * 3600) * 1e6,
      powerTuned: { costPerMillionUsd: 0.8, sloAttainment: 1 },
    }));
    const row = crossoverRow('m', 100, points, capacity, { vm, lmiMinInstances: 3 });
    // The VM at r req/s costs 0.085 / 3600 / r x 10^6 = 23.6 / r per million (one instance up to 500 req/s): below 0.5 above 47.2 req/s.
    expect(row.vm!.jointBo!.kind).toBe('at');
    expectNear(row.vm!.jointBo!.ratePerS, 0.085 / 3600 * 1e6 / 0.5);
    // Below 0.8 (power-tuned) above 29.5 req/s; with the host joint-bo is dearer, so the VM wins earlier.
    expectNear(row.vm!.powerTuned!.ratePerS, 0.085 / 3600 * 1e6 / 0.8);
    expect(row.vm!.jointBoWithHost!.ratePerS).toBeLessThan(row.vm!.jointBo!.ratePerS);
    // LMI pays $0.20 per million on top of 3 instances: cheaper than joint-bo's 0.5 only where 3 x 0.0978 / 3600 / r x 10^6 < 0.3.
    expectNear(row.managedInstances!.jointBo!.ratePerS, 3 * 0.085 * 1.15 / 3600 * 1e6 / 0.3);
  });
});
