import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerCostBench, type CostOutput } from '../../src/cli/bench-cost.js';
import { median } from '../../src/core/stats.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-bench-cost-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs `ferry bench ARGS` through the real command definitions; what it printed. */
async function ferryBench(...args: string[]): Promise<string[]> {
  const printed: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const program = new Command('ferry').exitOverride();
  registerCostBench(program.command('bench'));
  await program.parseAsync(['node', 'ferry', 'bench', ...args]);
  return printed;
}

describe('ferry bench cost --seeds, and cost-summary', () => {
  // Two minutes of 10 req/s: long enough for joint-bo to close windows, short enough for a unit test.
  const trace = 'gen:poisson?rate-per-s=10&duration-s=120&seed=2';
  const out = path.join(dir, 'cost.json');

  it('runs the matrix once per seed and judges each cell on its medians', async () => {
    const printed = await ferryBench('cost', '--models', 'ocr-cls', '--traces', trace, '--slos', '300', '--policies', 'per-request,joint-bo',
      '--seeds', '1,2,3', '--no-ladder', '--jobs', '3', '--json', out);
    const output = JSON.parse(readFileSync(out, 'utf8')) as CostOutput;
    expect(output.seeds).toEqual([1, 2, 3]);
    expect(output.runs.map((r) => r.seed)).toEqual([1, 2, 3]);
    const costs = output.runs.map((r) => r.cells[0]!.rows.find((row) => row.policy === 'joint-bo')!.costPerMillionUsd);
    // Seeds drive the platform's noise and the tuner's draws: the runs differ.
    expect(new Set(costs).size).toBeGreaterThan(1);
    const summarized = output.summary.cells[0]!.policies.find((p) => p.policy === 'joint-bo')!;
    expect(summarized.costPerMillionUsd).toBe(median(costs));
    expect(output.summary.tally.cells).toBe(1);
    const text = printed.join('\n');
    expect(text).toContain('the median of each cell over seeds 1, 2, 3');
    expect(text).toContain("Issue 11's targets for joint-bo, on the medians over seeds 1, 2, 3 (1 cells):");
    // Several seeds print the summary, not every run's full table.
    expect(text).not.toContain('| policy | $/M |');
  });

  it('gives the same figures on worker threads as in one thread', async () => {
    const threaded = JSON.parse(readFileSync(out, 'utf8')) as CostOutput;
    const single = path.join(dir, 'single.json');
    await ferryBench('cost', '--models', 'ocr-cls', '--traces', trace, '--slos', '300', '--policies', 'per-request,joint-bo',
      '--seeds', '1,2,3', '--no-ladder', '--jobs', '1', '--json', single);
    // Wall times aside (the only figure a machine changes), every run is the same to the last digit.
    const figures = (o: CostOutput) => JSON.stringify(o.runs, (key, value: unknown) => (key === 'wallS' ? undefined : value));
    expect(figures(JSON.parse(readFileSync(single, 'utf8')) as CostOutput)).toBe(figures(threaded));
  });

  it('a cell that fails on a worker thread fails the run and names the cell', async () => {
    await expect(ferryBench('cost', '--models', 'ocr-cls', '--traces', path.join(dir, 'no-such-trace.csv'), '--slos', '300', '--policies', 'per-request',
      '--seeds', '1,2', '--no-ladder', '--jobs', '2')).rejects.toThrow(/ocr-cls .*no-such-trace\.csv SLO 300 ms, seed [12]: .*no-such-trace\.csv/s);
  });

  it('cost-summary reads saved outputs, the earlier one-seed shape too, split by policy', async () => {
    const output = JSON.parse(readFileSync(out, 'utf8')) as CostOutput;
    // Per seed, the per-request rows in one file and the joint-bo rows in another, as an earlier revision wrote them.
    const files = output.runs.flatMap(({ seed, cells }) => ['per-request', 'joint-bo'].map((policy) => {
      const file = path.join(dir, `${policy}-${seed}.json`);
      writeFileSync(file, JSON.stringify({ seed, cells: cells.map((c) => ({ ...c, rows: c.rows.filter((r) => r.policy === policy) })) }));
      return file;
    }));
    const summaryOut = path.join(dir, 'summary.json');
    await ferryBench('cost-summary', ...files, '--json', summaryOut);
    expect(JSON.parse(readFileSync(summaryOut, 'utf8'))).toEqual(output.summary);
  });

  it('cost-summary says what it expected of a file that is not an output of bench cost', async () => {
    const file = path.join(dir, 'other.json');
    writeFileSync(file, JSON.stringify({ rows: [] }));
    await expect(ferryBench('cost-summary', file)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    writeFileSync(file, '{"runs": [');
    await expect(ferryBench('cost-summary', file)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('to hold JSON') });
  });
});
