import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerSimulate, runSimulate, type SimulateOutput } from '../../src/cli/simulate.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-simulate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs `ferry simulate ARGS` through the real command definition; what it printed. */
async function ferry(...args: string[]): Promise<string[]> {
  const printed: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  const program = new Command('ferry').exitOverride();
  registerSimulate(program);
  await program.parseAsync(['node', 'ferry', 'simulate', ...args]);
  return printed;
}

const rowKeys = ['name', 'requests', 'answered', 'invocations', 'coldStarts', 'costUsd', 'warmupCostUsd', 'costPerMillionUsd',
  'sloAttainment', 'p50Ms', 'p99Ms', 'configChanges', 'wallS'] as const;

/** The `--json` contract, checked field by field; every request answered. */
function checkContract(output: SimulateOutput, policies: string[], traceIncludes: string): void {
  expect(Object.keys(output)).toEqual(expect.arrayContaining(['trace', 'model', 'sloMs', 'seed', 'policies']));
  expect(output.trace).toContain(traceIncludes);
  expect(output.model).toBe('mobilenetv2');
  expect(output.sloMs).toBe(300);
  expect(output.seed).toBe(1);
  expect(output.policies.map((p) => p.name)).toEqual(policies);
  for (const p of output.policies) {
    for (const key of rowKeys) expect(p, `${p.name}.${key}`).toHaveProperty(key);
    expect(typeof p.name).toBe('string');
    for (const key of rowKeys.slice(1)) expect(typeof p[key], `${p.name}.${key}`).toBe('number');
    expect(p.requests).toBeGreaterThan(0);
    expect(p.answered, p.name).toBe(p.requests);
    expect(p.invocations).toBeGreaterThan(0);
    // At most one per request, plus warm-ups and Power Tuning's 6 x 10 tuning invocations.
    expect(p.invocations).toBeLessThanOrEqual(p.requests + 100);
    expect(p.costUsd).toBeGreaterThan(0);
    expect(p.warmupCostUsd).toBeGreaterThanOrEqual(0);
    expect(p.warmupCostUsd).toBeLessThan(p.costUsd);
    expect(p.costPerMillionUsd).toBeCloseTo((p.costUsd / p.answered) * 1e6, 9);
    expect(p.sloAttainment).toBeGreaterThanOrEqual(0);
    expect(p.sloAttainment).toBeLessThanOrEqual(1);
    expect(p.p50Ms).toBeGreaterThan(0);
    expect(p.p99Ms).toBeGreaterThanOrEqual(p.p50Ms);
    expect(p.wallS).toBeGreaterThanOrEqual(0);
  }
}

describe('ferry simulate', () => {
  for (const name of ['conv', 'code']) {
    it(`--json holds the contract on the shipped ${name} trace (60 s)`, async () => {
      const json = path.join(dir, `${name}.json`);
      const printed = await ferry('--trace', `traces/azure-llm-2023/${name}.csv`, '--duration-s', '60', '--policies', 'static,per-request,aimd', '--json', json);
      const output = JSON.parse(readFileSync(json, 'utf8')) as SimulateOutput;
      checkContract(output, ['static', 'per-request', 'aimd'], `${name}.csv`);
      // Same requests for every policy: one trace, one schedule.
      expect(new Set(output.policies.map((p) => p.requests)).size).toBe(1);
      // per-request sends one request per invocation (and its warm-up).
      const perRequest = output.policies.find((p) => p.name === 'per-request')!;
      expect(perRequest.invocations).toBe(perRequest.requests + 1);
      expect(printed.join('\n')).toContain('per-request');
    });
  }

  it('--json holds the contract on a gen: trace, with the policies that tune', async () => {
    const json = path.join(dir, 'gen.json');
    await ferry('--trace', 'gen:poisson?rate-per-s=15&duration-s=60&seed=2', '--policies', 'static,power-tuned,batch', '--json', json);
    const output = JSON.parse(readFileSync(json, 'utf8')) as SimulateOutput;
    checkContract(output, ['static', 'power-tuned', 'batch'], 'gen:poisson');
    // A 60 s Poisson trace at 15 req/s: about 900 requests.
    expect(output.policies[0]!.requests).toBeGreaterThan(750);
    expect(output.policies[0]!.requests).toBeLessThan(1050);
  });

  it('--plot writes a non-empty SVG and a PNG', async () => {
    const flags = {
      trace: 'gen:poisson?rate-per-s=5&duration-s=60&seed=4', model: 'mobilenetv2', sloMs: 300, policies: ['static', 'aimd'], seed: 1,
      timeScale: 1, keepAliveMs: 300_000, memoryMb: 3538, batchSize: 8, processes: 2, threads: 1, oracleSegmentS: 300, baselineMemoryMb: 3008,
    } satisfies Parameters<typeof runSimulate>[0];
    const svg = path.join(dir, 'plot.svg');
    const png = path.join(dir, 'plot.png');
    const lines: string[] = [];
    await runSimulate({ ...flags, plot: svg }, (line) => lines.push(line));
    await runSimulate({ ...flags, plot: png }, (line) => lines.push(line));
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text).toContain('</svg>');
    expect(text).toContain('aimd');
    expect(text.length).toBeGreaterThan(5000);
    const bytes = readFileSync(png);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(statSync(png).size).toBeGreaterThan(5000);
    expect(lines).toContain(`plot: ${png}`);
  });

  it('refuses an unknown policy and a plot file of another kind', async () => {
    await expect(ferry('--trace', 'gen:poisson?rate-per-s=5&duration-s=10&seed=4', '--policies', 'static,nope')).rejects.toThrow(/--policies/);
    await expect(ferry('--trace', 'gen:poisson?rate-per-s=5&duration-s=10&seed=4', '--policies', 'static', '--plot', path.join(dir, 'x.gif')))
      .rejects.toThrow(/\.svg or \.png/);
  });
});
