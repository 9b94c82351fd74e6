import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerTrace, runTraceStats } from '../../src/cli/trace.js';
import { mmppArrivals } from '../../src/trace/generators.js';
import { loadArrivals } from '../../src/trace/load.js';
import { parseTraceCsv } from '../../src/trace/trace-csv.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-trace-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs `ferry ARGS` through the real command definitions; what it printed. */
async function ferry(...args: string[]): Promise<string[]> {
  const printed: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
  const program = new Command('ferry').exitOverride();
  registerTrace(program);
  await program.parseAsync(['node', 'ferry', ...args]);
  return printed;
}

describe('ferry trace', () => {
  it('generate writes a CSV of the one grammar that reads back to the generated arrivals', async () => {
    const out = path.join(dir, 'mmpp.csv');
    const printed = await ferry('trace', 'generate', '--kind', 'mmpp', '--rate-per-s', '20', '--burst-rate-per-s', '200', '--duration-s', '600',
      '--seed', '1', '--out', out, '--json');
    const result = JSON.parse(printed[0]!) as { out: string; spec: string; stats: { requests: number } };
    expect(result.spec).toBe('gen:mmpp?rates-per-s=20,200&mean-sojourns-s=60,10&duration-s=600&seed=1');
    const expected = mmppArrivals({ durationS: 600, seed: 1, states: [{ ratePerS: 20, meanSojournS: 60 }, { ratePerS: 200, meanSojournS: 10 }] });
    expect(result.stats.requests).toBe(expected.length);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('timestamp\n')).toBe(true);
    const back = parseTraceCsv(text, out);
    expect(back).toMatchObject({ kind: 'arrivals', format: 'seconds' });
    const arrivalsMs = back.kind === 'arrivals' ? back.arrivalsMs : [];
    expect(arrivalsMs).toHaveLength(expected.length);
    expect(Math.max(...arrivalsMs.map((ms, i) => Math.abs(ms - expected[i]!)))).toBeLessThanOrEqual(0.0005 + 1e-9);
    // The spec printed stands for the file.
    expect(loadArrivals(result.spec).arrivalsMs).toEqual(expected);
  });

  it('generate names the flags that are wrong, as flags', async () => {
    const out = path.join(dir, 'x.csv');
    await expect(ferry('trace', 'generate', '--kind', 'poisson', '--rate-per-s', '5', '--duration-s', '60', '--out', out))
      .rejects.toThrow(/ferry trace generate --kind poisson to set --seed/);
    await expect(ferry('trace', 'generate', '--kind', 'poisson', '--rate-per-s', '5', '--amplitude', '1', '--duration-s', '60', '--seed', '1', '--out', out))
      .rejects.toThrow(/to be among --rate-per-s, --duration-s, --seed, got --amplitude/);
    await expect(ferry('trace', 'generate', '--kind', 'wave', '--out', out)).rejects.toThrow(/one of poisson, step, mmpp, diurnal, got "wave"/);
    await expect(ferry('trace', 'generate', '--kind', 'poisson', '--rate-per-s', '5', '--duration-s', '60', '--seed', '1', '--out', path.join(dir, 'no', 'x.csv')))
      .rejects.toThrow(/--out to be a writable file, got .*ENOENT/);
  });

  it('stats gives the figures of the traces README for the shipped trace', async () => {
    const printed = await ferry('trace', 'stats', '--trace', new URL('../../traces/azure-llm-2023/code.csv', import.meta.url).pathname, '--json');
    const stats = JSON.parse(printed[0]!) as Record<string, number>;
    expect(stats).toMatchObject({ requests: 8819, peakToMean1s: 26.104, peakToMean60s: 4.156, emptyShare1s: 0.7337 });
    expect(stats.meanRatePerS).toBeCloseTo(2.57, 2);
    expect(stats.spanS! / 60).toBeCloseTo(57.3, 1);
  });

  it('stats reads a spec and prints readable lines', () => {
    const lines: string[] = [];
    const stats = runTraceStats({ trace: 'gen:poisson?rate-per-s=50&duration-s=600&seed=2', intervalS: 1 }, (line) => lines.push(line));
    expect(stats.meanRatePerS!).toBeGreaterThan(48);
    expect(stats.meanRatePerS!).toBeLessThan(52);
    expect(stats.interArrivalCv!).toBeCloseTo(1, 1);
    expect(lines[0]).toMatch(/^gen:poisson\?rate-per-s=50&duration-s=600&seed=2 \(\d+ arrivals\)$/);
    expect(lines[1]).toMatch(/requests \d+, span 10\.0 min .*mean rate \d+\.\d\d req\/s/);
    expect(lines[2]).toMatch(/peak\/mean over 1 s \d\.\d\d, over 60 s \d\.\d\d; 1 s intervals empty 0\.0%; inter-arrival CV 1\.0\d/);
  });
});
