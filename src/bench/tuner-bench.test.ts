import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { invocationCostUsd } from '../core/billing.js';
import { ConfigSpace } from '../core/config-space.js';
import { registerTunerBench, runSurfaceBench } from './tuner-bench.js';
import { buildSurface, loadProfile, parseSurfaceFile, ServiceModel, surfacePoint, type SurfaceFile } from './tuner-surfaces.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-tuner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny surface: 4 memory sizes x 4 batch sizes, one process; cost falls with batch until the SLO cuts. */
function tinySurface(): SurfaceFile {
  const points = [512, 1024, 1769, 3538].flatMap((memoryMb) =>
    [1, 4, 16, 64].map((batchSize) => ({
      memoryMb,
      batchSize,
      processes: 1,
      costUsd: (1e-7 * (1 + Math.abs(Math.log(memoryMb / 1769)))) / Math.sqrt(batchSize),
      p99Ms: (20 * batchSize * 1769) / Math.min(memoryMb, 1769),
    })),
  );
  return { cases: [{ model: 'tiny', arrivalRatePerS: 20, sloMs: 400, points }] };
}

async function cli(args: string[]): Promise<string> {
  const program = new Command('ferry').exitOverride();
  registerTunerBench(program.command('bench'));
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    await program.parseAsync(['node', 'ferry', 'bench', 'tuner', ...args]);
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
  return lines.join('\n');
}

describe('ferry bench tuner --surface', () => {
  it('prints exactly { rows: [ { model, arrivalRatePerS, sloMs, medianEvals, p90Evals, failures } ] }', async () => {
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify(tinySurface()));
    const out = JSON.parse(await cli(['--surface', file, '--seeds', '5', '--json'])) as { rows: Record<string, unknown>[] };
    expect(Object.keys(out)).toEqual(['rows']);
    expect(out.rows).toHaveLength(1);
    const row = out.rows[0]!;
    expect(Object.keys(row)).toEqual(['model', 'arrivalRatePerS', 'sloMs', 'medianEvals', 'p90Evals', 'failures']);
    expect(row).toMatchObject({ model: 'tiny', arrivalRatePerS: 20, sloMs: 400, failures: 0 });
    expect(row.medianEvals as number).toBeGreaterThanOrEqual(1);
    expect(row.p90Evals as number).toBeLessThanOrEqual(16);
    // The function behind it gives the same answer (deterministic for the seeds).
    expect(runSurfaceBench(tinySurface(), { seeds: 5 })).toEqual(out);
  });

  it('rejects a malformed surface with INVALID_ARGUMENT', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ cases: [{ model: 'x', arrivalRatePerS: 5, sloMs: 100, points: [{ memoryMb: 512 }] }] }));
    await expect(cli(['--surface', file, '--json'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => parseSurfaceFile('{"cases": []}')).toThrow(/at least one case/);
    // meanBatchSize is optional, but where given it cannot exceed the configured batch.
    const oversized = tinySurface();
    oversized.cases[0]!.points[0]!.meanBatchSize = 2;
    expect(() => parseSurfaceFile(JSON.stringify(oversized))).toThrow(/meanBatchSize/);
  });

  it('writes the built-in surfaces in the --surface format', async () => {
    const file = join(dir, 'builtin.json');
    await cli(['--write-surface', file]);
    const surfaces = parseSurfaceFile(readFileSync(file, 'utf8'));
    expect(surfaces.cases).toHaveLength(12);
    expect(surfaces.cases.map((c) => `${c.arrivalRatePerS}/${c.sloMs}`)).toContain('20/500');
    for (const c of surfaces.cases) {
      expect(c.model).toBe('mobilenetv2');
      expect(c.points).toHaveLength(new ConfigSpace().size);
    }
  });
});

describe('tuner surfaces from the MobileNetV2 profile', () => {
  const profile = loadProfile();
  const model = new ServiceModel(profile.rows);

  it('reproduces measured rows and interpolates between them', () => {
    const row = profile.rows.find((r) => r.batch === 8 && r.processes === 1 && r.vcpus === 1)!;
    expect(model.serviceMs(8, 1, 1).p50Ms).toBeCloseTo(row.p50Ms, 9);
    expect(model.serviceMs(8, 1, 1).p99Ms).toBeCloseTo(row.p99Ms, 9);
    const b12 = model.serviceMs(12, 1, 1).p50Ms;
    expect(b12).toBeGreaterThan(row.p50Ms);
    expect(b12).toBeLessThan(model.serviceMs(16, 1, 1).p50Ms);
    // Above 2 vCPUs one process gains nothing; six gain by min(6, share) / 2.
    expect(model.serviceMs(32, 1, 4).p50Ms).toBeCloseTo(model.serviceMs(32, 1, 2).p50Ms, 9);
    expect(model.serviceMs(32, 6, 5).p50Ms).toBeCloseTo((model.serviceMs(32, 2, 2).p50Ms * 2) / 5, 9);
  });

  it('prices a request at the invocation cost over the dispatched batch, and cuts configurations that break the SLO', () => {
    // 100 req/s fill a batch of 8 in 70 ms, well within a 1000 ms SLO: full batches.
    const point = surfacePoint(model, { memoryMb: 1769, batchSize: 8, processes: 1 }, { arrivalRatePerS: 100, sloMs: 1000 });
    const service = model.serviceMs(8, 1, 1);
    expect(point.costUsd).toBeCloseTo(invocationCostUsd(Math.ceil(service.p50Ms), 1769) / 8, 15);
    expect(point.p99Ms).toBeCloseTo(70 + service.p99Ms, 9);
    // A batch of 64 at 512 MB takes seconds: infeasible at 200 ms whatever the rate.
    const slow = surfacePoint(model, { memoryMb: 512, batchSize: 64, processes: 1 }, { arrivalRatePerS: 100, sloMs: 200 });
    expect(slow.p99Ms).toBeGreaterThan(200);
    // At 5 req/s the gateway sends partial batches: dearer per request than at 100 req/s.
    const sparse = surfacePoint(model, { memoryMb: 1769, batchSize: 8, processes: 1 }, { arrivalRatePerS: 5, sloMs: 1000 });
    expect(sparse.costUsd).toBeGreaterThan(point.costUsd);
    expect(sparse.p99Ms).toBeLessThanOrEqual(1000);
    // It reports the batches it dispatched: full at 100 req/s, fewer than 8 at 5 req/s.
    expect(point.meanBatchSize).toBe(8);
    expect(sparse.meanBatchSize).toBeGreaterThan(1);
    expect(sparse.meanBatchSize).toBeLessThan(8);
    const surface = buildSurface(profile, new ConfigSpace(), { arrivalRatePerS: 50, sloMs: 500 });
    expect(surface.points.some((p) => p.p99Ms > 500)).toBe(true);
    expect(surface.points.some((p) => p.p99Ms <= 500)).toBe(true);
  });
});
