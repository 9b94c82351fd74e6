import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDetect, type DetectFlags } from '../../src/cli/detect.js';
import { FerryError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/random.js';
import { loadCounts } from '../../src/trace/load.js';
import { samplePoisson } from '../../src/trace/synthetic-counts.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-detect-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csv(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** 240 intervals at 10 per interval, then 240 at 40 (seeded Poisson): one change at 240. */
function stepCounts(): number[] {
  const rng = new Rng(1);
  return Array.from({ length: 480 }, (_, i) => samplePoisson(rng, i < 240 ? 10 : 40));
}

async function detect(flags: Partial<DetectFlags> & { series: string }): Promise<{ lines: string[]; output: Awaited<ReturnType<typeof runDetect>> }> {
  const lines: string[] = [];
  const output = await runDetect({ intervalS: 1, detector: 'bocpd', ...flags }, (line) => lines.push(line));
  return { lines, output };
}

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    return { code: (error as FerryError).code, message: (error as FerryError).message };
  }
  throw new Error('expected a FerryError');
}

describe('ferry detect', () => {
  it('prints exactly { changePoints: [ { index, timeS } ] } with --json, for both detectors', async () => {
    const file = await csv('counts.csv', `count\n${stepCounts().join('\n')}\n`);
    for (const detector of ['bocpd', 'cusum'] as const) {
      const { lines } = await detect({ series: file, detector, intervalS: 0.5, json: true });
      expect(lines).toHaveLength(1);
      const printed = JSON.parse(lines[0]!) as { changePoints: { index: number; timeS: number }[] };
      expect(Object.keys(printed)).toEqual(['changePoints']);
      expect(printed.changePoints).toHaveLength(1);
      const [change] = printed.changePoints;
      expect(Object.keys(change!).sort()).toEqual(['index', 'timeS']);
      expect(Math.abs(change!.index - 240)).toBeLessThanOrEqual(3);
      expect(change!.timeS).toBe(change!.index * 0.5);
    }
  });

  it('bins arrival times (seconds or date-times, no trailing newline) into --interval-s counts', async () => {
    // Arrivals spread evenly inside each second from its start (intervals start at the first arrival).
    const counts = stepCounts();
    expect(counts[0]).toBeGreaterThan(0);
    const seconds: number[] = [];
    counts.forEach((count, s) => {
      for (let k = 0; k < count; k++) seconds.push(1_700_000_000 + s + k / count);
    });
    const asDate = (t: number) => {
      const whole = Math.floor(t);
      const iso = new Date(whole * 1000).toISOString().replace('T', ' ').slice(0, 19);
      return `${iso}.${String(Math.round((t - whole) * 1e7)).padStart(7, '0')}`;
    };
    const numeric = await csv('arrivals-s.csv', `timestamp,tokens\n${seconds.map((t) => `${t},5`).join('\n')}`);
    const dated = await csv('arrivals-date.csv', `TIMESTAMP,ContextTokens,GeneratedTokens\r\n${seconds.map((t) => `${asDate(t)},100,10`).join('\r\n')}`);
    const fromCounts = await detect({ series: await csv('same.csv', `count\n${counts.join('\n')}`), json: true });
    const fromSeconds = await detect({ series: numeric, json: true });
    const fromDates = await detect({ series: dated, json: true });
    expect(loadCounts(dated, 1).counts).toEqual(counts);
    expect(fromSeconds.output).toEqual(fromCounts.output);
    expect(fromDates.output).toEqual(fromCounts.output);
    // Two-second intervals: half as many intervals, the change at about 120.
    const coarse = await detect({ series: dated, intervalS: 2, json: true });
    expect(Math.abs(coarse.output.changePoints[0]!.index - 120)).toBeLessThanOrEqual(2);
    expect(coarse.output.changePoints[0]!.timeS).toBe(coarse.output.changePoints[0]!.index * 2);
  });

  it('reads the Azure trace format', async () => {
    const { counts, from } = loadCounts(new URL('../../traces/azure-llm-2023/conv.csv', import.meta.url).pathname, 1);
    expect(from).toBe('arrivals');
    expect(counts.reduce((a, b) => a + b, 0)).toBe(19_366);
    expect(counts.length).toBeGreaterThan(3400);
  });

  it('takes a generator spec where it takes a file', async () => {
    const { output } = await detect({ series: 'gen:step?rates-per-s=10,40&change-at-s=240&duration-s=480&seed=3', detector: 'cusum', json: true });
    expect(output.changePoints).toHaveLength(1);
    expect(Math.abs(output.changePoints[0]!.index - 240)).toBeLessThanOrEqual(3);
  });

  it('prints a readable list with a sparkline without --json', async () => {
    const file = await csv('human.csv', `count\n${stepCounts().join('\n')}\n`);
    const { lines } = await detect({ series: file, detector: 'cusum' });
    const text = lines.join('\n');
    expect(text).toMatch(/480 intervals of 1 s \(counts\), cusum: 1 change point\b/);
    expect(text).toMatch(/\b24\d\s.*-> /);
    expect(text).toContain('^');
    expect(text).toMatch(/[▁▂▃▄▅▆▇█]{10}/);
  });

  it('fails with INVALID_ARGUMENT and a message that says what is wrong', async () => {
    const missing = await codeOf(detect({ series: join(dir, 'nope.csv') }));
    expect(missing.code).toBe('INVALID_ARGUMENT');
    expect(missing.message).toMatch(/nope\.csv" \(no such file\)/);

    const noColumn = await codeOf(detect({ series: await csv('cols.csv', 'time,value\n1,2\n') }));
    expect(noColumn.code).toBe('INVALID_ARGUMENT');
    expect(noColumn.message).toMatch(/`timestamp` column .* or a `count` column .*got the header "time,value"/);

    const badCount = await codeOf(detect({ series: await csv('bad-count.csv', 'count\n1\n2\nmany\n4\n') }));
    expect(badCount.code).toBe('INVALID_ARGUMENT');
    expect(badCount.message).toMatch(/bad-count\.csv line 4 to hold a count of 0 or more in "count", got "many"/);

    const badTime = await codeOf(detect({ series: await csv('bad-time.csv', 'TIMESTAMP,x\n2023-11-16 18:15:46.68,1\n2023-11-16 25:00:00,1') }));
    expect(badTime.message).toMatch(/bad-time\.csv line 3 to hold a date-time .*hour 25/);

    const empty = await codeOf(detect({ series: await csv('empty.csv', 'count\n') }));
    expect(empty.message).toMatch(/no data|none/);
  });
});
