import { beforeAll, describe, expect, it } from 'vitest';
import { cellSetup, runCostCell, type CostCell, type CostMatrixOptions } from './cost-matrix.js';
import { parseCostTrace, parseCostTraces } from './cost-traces.js';

const options: CostMatrixOptions = {
  models: ['mobilenetv2'], traces: [], slosMs: [300], policies: ['per-request', 'power-tuned', 'joint-bo'], seed: 1,
  gatewayHostUsdPerH: 0.0208, vm: { name: 'c6i.large', usdPerH: 0.085, vcpus: 2 }, lmiMinInstances: 3, minSpanS: 3600,
  baselineMemoryMb: 3008, oracleSegmentS: 300,
};

describe('ferry bench cost: one cell', () => {
  // Five minutes at 20 req/s: small enough for a unit test, long enough for joint-bo to tune.
  let cell: CostCell;
  beforeAll(() => {
    cell = runCostCell('mobilenetv2', parseCostTrace('gen:poisson?rate-per-s=20&duration-s=300&seed=2'), 300, options);
  });
  const row = (name: string) => cell.rows.find((r) => r.policy === name)!;

  it('savings and the host columns follow their formulas from the rows themselves', () => {
    const perRequest = row('per-request');
    const powerTuned = row('power-tuned');
    const jointBo = row('joint-bo');
    expect(perRequest.variants?.map((v) => v.name)).toEqual(['per-request (1 thread)', 'per-request (2 threads)']);
    expect(powerTuned.savingVsPerRequest).toBeCloseTo(1 - powerTuned.costPerMillionUsd / perRequest.costPerMillionUsd, 12);
    expect(jointBo.savingVsPowerTuned).toBeCloseTo(1 - jointBo.costPerMillionUsd / powerTuned.costPerMillionUsd, 12);
    expect(perRequest.savingVsPerRequest).toBeUndefined();
    // Direct invokers need no gateway host; joint-bo does: its price over the trace, per request.
    expect(perRequest.withHost).toBeUndefined();
    const hosted = jointBo.costPerMillionUsd + (0.0208 * cell.durationS / 3600 / jointBo.requests) * 1e6;
    expect(jointBo.withHost!.costPerMillionUsd).toBeCloseTo(hosted, 9);
    expect(jointBo.withHost!.savingVsPerRequest).toBeCloseTo(1 - hosted / perRequest.costPerMillionUsd, 9);
    const saving = (perRequest.costPerMillionUsd - jointBo.costPerMillionUsd) / 1e6;
    if (saving > 0) expect(jointBo.withHost!.breakEvenVsPerRequestPerS).toBeCloseTo(0.0208 / 3600 / saving, 6);
    else expect(jointBo.withHost!.breakEvenVsPerRequestPerS).toBeUndefined();
  });

  it("joint-bo's episodes come from its events and hold some of its requests; per-request has none", () => {
    const episodes = row('joint-bo').episodes!;
    expect(episodes.count).toBeGreaterThanOrEqual(1);
    expect(episodes.seconds).toBeGreaterThan(0);
    expect(episodes.seconds).toBeLessThanOrEqual(cell.durationS + 60);
    expect(episodes.requests).toBeGreaterThan(0);
    expect(episodes.requests).toBeLessThanOrEqual(row('joint-bo').requests);
    expect(episodes.sloAttainment).toBeGreaterThanOrEqual(0);
    expect(episodes.sloAttainment).toBeLessThanOrEqual(1);
    expect(row('per-request').episodes).toBeUndefined();
  });

  it("joint-bo's bill splits into what it paid while tuning and once settled, adding up to the whole", () => {
    const jointBo = row('joint-bo');
    const episodes = jointBo.episodes!;
    expect(episodes.requests + episodes.settledRequests).toBe(jointBo.requests);
    const splitUsd = ((episodes.costPerMillionUsd ?? 0) * episodes.requests + (episodes.settledCostPerMillionUsd ?? 0) * episodes.settledRequests) / 1e6;
    expect(splitUsd).toBeCloseTo((jointBo.costPerMillionUsd * jointBo.requests) / 1e6, 12);
  });

  it('the modelled VM row is the fewest instances for the busiest minute, for the trace; LMI adds 15% and the request fee', () => {
    const vm = cell.references.find((r) => r.name === 'always-on VM')!;
    const capacity = cell.vmCapacity!;
    expect(vm.instances).toBe(Math.max(1, Math.ceil(cell.peakRatePerS / (capacity.itemsPerSPerVcpu * 2))));
    expect(vm.costPerMillionUsd).toBeCloseTo((vm.instances * 0.085 * cell.durationS / 3600) / cell.requests * 1e6, 9);
    const lmi = cell.references.find((r) => r.name === 'Lambda Managed Instances')!;
    // At 20 req/s one instance would do: the floor of 3 holds for the whole trace.
    expect(lmi.costPerMillionUsd).toBeCloseTo((3 * 0.085 * 1.15 * cell.durationS / 3600) / cell.requests * 1e6 + 0.2, 6);
  });
});

describe('ferry bench cost: traces', () => {
  it('names map to the shipped and generated traces; @K sets the time scale; a gen: spec stays whole', () => {
    expect(parseCostTrace('conv@20')).toEqual({ name: 'conv@20', trace: 'traces/azure-llm-2023/conv.csv', timeScale: 20 });
    expect(parseCostTrace('mmpp').trace).toMatch(/^gen:mmpp\?/);
    expect(parseCostTraces(['conv@1,code@20', 'gen:step?rates-per-s=2,50&change-at-s=60&duration-s=120&seed=1']).map((t) => t.name))
      .toEqual(['conv@1', 'code@20', 'gen:step?rates-per-s=2,50&change-at-s=60&duration-s=120&seed=1']);
    expect(() => parseCostTraces([''])).toThrow(/at least one trace/);
  });

  it('`holdout` expands to the traces kept aside, each a trace the generator accepts', () => {
    const holdout = parseCostTraces(['step,holdout']);
    expect(holdout.map((t) => t.name)).toEqual(['step', 'conv@5', 'code@5', 'step-b', 'mmpp-b', 'diurnal-b']);
    expect(holdout[1]).toMatchObject({ trace: 'traces/azure-llm-2023/conv.csv', timeScale: 5 });
    for (const trace of holdout.slice(3)) expect(cellSetup('ocr-cls', trace, 200, 1, 3600).setup.scheduleMs.length).toBeGreaterThan(10_000);
  });

  it('a sped-up trace shorter than the span asked for is repeated; one at 1x is not', () => {
    const fast = cellSetup('mobilenetv2', parseCostTrace('gen:poisson?rate-per-s=5&duration-s=60&seed=1@2'), 300, 1, 100);
    expect(fast.copies).toBe(4);
    expect(fast.setup.scheduleMs[fast.setup.scheduleMs.length - 1]).toBeGreaterThanOrEqual(100_000);
    expect(fast.setup.recordAnswers).toBe(true);
    expect(cellSetup('mobilenetv2', parseCostTrace('gen:poisson?rate-per-s=5&duration-s=60&seed=1'), 300, 1, 100).copies).toBe(1);
  });
});
