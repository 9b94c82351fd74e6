import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDetect } from '../../src/cli/detect.js';
import { FerryError } from '../../src/core/errors.js';
import { runLoadgen } from '../../src/loadgen/loadgen.js';
import { arrivalsFromCounts, binArrivals, countsOf } from '../../src/trace/binning.js';
import { loadArrivals, loadCounts, loadTrace } from '../../src/trace/load.js';
import { formatTraceCsv, parseTraceCsv, type ArrivalsCsv } from '../../src/trace/trace-csv.js';

// The one grammar of trace CSVs (loadgen --trace, detect --series, trace stats, the simulator).

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
}

/** The error an action throws (its code and message). */
function errorOf(action: () => unknown): FerryError {
  try {
    action();
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error('Expected an error, got none');
}

function arrivals(text: string, source?: string): ArrivalsCsv {
  const trace = parseTraceCsv(text, source);
  if (trace.kind !== 'arrivals') throw new Error(`Expected arrivals, got ${trace.kind}`);
  return trace;
}

describe('trace CSV: date-times', () => {
  it('reads Azure date-times (CRLF, BOM, 7-digit fraction, no trailing newline) with every digit of the fraction', () => {
    const text = '\uFEFFTIMESTAMP,ContextTokens,GeneratedTokens\r\n2023-11-16 18:15:46.6805900,374,44\r\n2023-11-16 18:15:50.9951690,396,109\r\n2023-11-16 18:15:51.2224671,879,55';
    const trace = arrivals(text);
    expect(trace.format).toBe('datetime');
    expect(trace.column).toBe('TIMESTAMP');
    expect(trace.originMs).toBe(Date.UTC(2023, 10, 16, 18, 15, 46));
    expect(trace.arrivalsMs[0]).toBeCloseTo(680.59, 9);
    // The seventh digit (100 ns = 0.0001 ms) survives: epoch ms in one double would not keep it.
    expect(trace.arrivalsMs[2]! - trace.arrivalsMs[0]!).toBeCloseTo(4541.8771, 7);
    expect(trace.arrivalsMs[1]! - trace.arrivalsMs[0]!).toBeCloseTo(4314.579, 7);
  });

  it('takes T or a space, Z, and offsets (+hh:mm, -hhmm, +hh), applying them', () => {
    const trace = arrivals([
      'timestamp',
      '2023-11-16T18:00:00Z',
      '2023-11-16 20:00:01+02:00', // 18:00:01 UTC
      '2023-11-16T13:00:02-0500', // 18:00:02 UTC
      '2023-11-16 19:00:03+01', // 18:00:03 UTC
      '2023-11-16 18:00:04', // no zone: UTC
    ].join('\n'));
    expect(trace.originMs).toBe(Date.UTC(2023, 10, 16, 18, 0, 0));
    expect(trace.arrivalsMs).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('crosses midnight, month ends and leap days without a gap', () => {
    expect(arrivals('TIMESTAMP\n2023-11-30 23:59:59.5\n2023-12-01 00:00:00.25\n').arrivalsMs).toEqual([500, 1250]);
    const leap = arrivals('TIMESTAMP\n2024-02-28 23:00:00\n2024-02-29 23:00:00\n2024-03-01 23:00:00\n');
    expect(leap.arrivalsMs).toEqual([0, 86_400_000, 172_800_000]);
    expect(leap.originMs).toBe(Date.UTC(2024, 1, 28, 23));
    // Epoch arithmetic without Date: a 4-digit year below 100 is that year, not 1900 + it.
    const year50 = new Date(0);
    year50.setUTCFullYear(50, 0, 1);
    expect(arrivals('timestamp\n0050-01-01 00:00:00\n').originMs).toBe(year50.getTime());
  });

  it('sorts unsorted rows, the origin at the earliest whole second', () => {
    const trace = arrivals('TIMESTAMP\n2023-11-16 18:15:47.5\n2023-11-16 18:15:46.25\n\n2023-11-16 18:15:46.75\n');
    expect(trace.originMs).toBe(Date.UTC(2023, 10, 16, 18, 15, 46));
    expect(trace.arrivalsMs).toEqual([250, 750, 1500]);
  });

  // Regression (issue 10): loadgen accepted 2023-02-30 (Date.UTC rolled it to March 2) and
  // refused +01:00; detect did the opposite. One grammar: impossible dates refused everywhere.
  it.each([
    ['2023-02-30 00:00:00', /day 30 is not 01\.\.28 in 2023-02/],
    ['2024-02-30 00:00:00', /day 30 is not 01\.\.29 in 2024-02/],
    ['2023-04-31 00:00:00', /day 31 is not 01\.\.30/],
    ['2023-13-01 00:00:00', /month 13/],
    ['2023-11-16 25:00:00', /hour 25/],
    ['2023-11-16 18:60:00', /minute 60/],
    ['2023-11-16 18:15:60', /second 60/],
    ['2023-11-16 18:15:00+24:00', /offset \+24:00/],
  ])('refuses %s, naming the file, the line and what is wrong', (bad, why) => {
    const error = errorOf(() => parseTraceCsv(`TIMESTAMP,x\n2023-11-16 18:15:46.68,1\n${bad},1\n`, 'conv.csv'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(`Expected conv.csv line 3 to hold a date-time like 2023-11-16 18:15:46.6805900`);
    expect(error.message).toContain(`got "${bad}"`);
    expect(error.message).toMatch(why);
  });
});

describe('trace CSV: seconds and counts', () => {
  it('reads a timestamp column in seconds, in any column and any case, and sorts the rows', () => {
    const trace = arrivals('id,Timestamp\na,1.5\nb,0.25\n\nc,3e0\n');
    expect(trace.format).toBe('seconds');
    expect(trace.column).toBe('Timestamp');
    expect(trace.originMs).toBe(0);
    expect(trace.arrivalsMs).toEqual([250, 1500, 3000]);
  });

  it('reads a count column as per-interval counts, in file order; count wins over timestamp', () => {
    expect(parseTraceCsv('COUNT\r\n3\r\n0\r\n2.5')).toEqual({ kind: 'counts', column: 'COUNT', counts: [3, 0, 2.5] });
    const labelled = parseTraceCsv('timestamp,count\n2023-11-16 18:00:00,4\n2023-11-16 18:00:01,1\n');
    expect(labelled).toMatchObject({ kind: 'counts', counts: [4, 1] });
  });

  it('refuses what it cannot read, naming the file and the line, saying expected and got', () => {
    const noColumn = errorOf(() => parseTraceCsv('time,tokens\n1,2\n', 'x.csv'));
    expect(noColumn.code).toBe('INVALID_ARGUMENT');
    expect(noColumn.message).toMatch(/Expected x\.csv to have a `timestamp` column .* or a `count` column .*got the header "time,tokens"/);
    expect(errorOf(() => parseTraceCsv('TIMESTAMP,a\n2023-11-16 18:15:46.68,1\nyesterday,1\n', 'c.csv')).message)
      .toBe('Expected c.csv line 3 to hold a date-time like 2023-11-16 18:15:46.6805900 (as the rows before it) in "TIMESTAMP", got "yesterday"');
    expect(errorOf(() => parseTraceCsv('timestamp\nyesterday\n')).message).toMatch(/line 2 to hold a number of seconds or a date-time/);
    expect(errorOf(() => parseTraceCsv('timestamp\n1\n2x\n')).message).toMatch(/line 3 to hold a number of seconds .*got "2x"/);
    // A date-time after rows of seconds, and seconds after date-times: one kind per file.
    expect(errorOf(() => parseTraceCsv('timestamp\n1\n2023-11-16 18:15:46\n')).message).toMatch(/line 3 to hold a number of seconds/);
    expect(errorOf(() => parseTraceCsv('timestamp\n2023-11-16 18:15:46\n12\n')).message).toMatch(/line 3 to hold a date-time/);
    expect(errorOf(() => parseTraceCsv('a,timestamp\n1,2\n3\n')).message).toMatch(/line 3 to have a value in column 2 \("timestamp"\), got "3"/);
    expect(errorOf(() => parseTraceCsv('count\n1\n2\nmany\n4\n', 'n.csv')).message).toBe('Expected n.csv line 4 to hold a count of 0 or more in "count", got "many"');
    expect(errorOf(() => parseTraceCsv('count\n-1\n')).message).toMatch(/count of 0 or more .*got "-1"/);
    expect(errorOf(() => parseTraceCsv('count\n0x10\n')).message).toMatch(/got "0x10"/);
    expect(errorOf(() => parseTraceCsv('')).message).toMatch(/empty file/);
    expect(errorOf(() => parseTraceCsv('\n\n')).message).toMatch(/empty file/);
    expect(errorOf(() => parseTraceCsv('TIMESTAMP\r\n')).message).toMatch(/at least one row after the header, got none/);
  });
});

describe('binning and spreading', () => {
  it('bins arrivals (ms, any order) from the earliest one; an arrival at an interval end is in the next', () => {
    // Intervals [10.2, 11.2), [11.2, 12.2), [12.2, 13.2) s.
    expect(binArrivals([11_100, 10_200, 10_900, 13_000], 1000)).toEqual([3, 0, 1]);
    expect(binArrivals([0, 500, 2500], 500)).toEqual([1, 1, 0, 0, 0, 1]);
    expect(binArrivals([], 1000)).toEqual([]);
    expect(() => binArrivals([0, 1e15], 1)).toThrow(/at most 50000000 intervals/);
    expect(() => binArrivals([0], 0)).toThrow(/positive number of ms, got 0/);
  });

  it('spreads counts evenly from each interval start, deterministically, and bins back to them', () => {
    expect(arrivalsFromCounts([2, 0, 1, 4], 1000)).toEqual([0, 500, 2000, 3000, 3250, 3500, 3750]);
    const counts = [3, 7, 0, 0, 12, 1, 5];
    expect(binArrivals(arrivalsFromCounts(counts, 250), 250)).toEqual(counts);
    expect(() => arrivalsFromCounts([1, 2.5], 1000, 'c.csv')).toThrow(/whole counts .* in c\.csv .*got 2\.5 in interval 2/);
  });

  it('turns either kind into the other', () => {
    const counted = parseTraceCsv('count\n2\n1\n');
    const timed = parseTraceCsv('timestamp\n0\n0.5\n1\n');
    expect(countsOf(counted, 1000)).toEqual([2, 1]);
    expect(countsOf(timed, 1000)).toEqual([2, 1]);
    expect(countsOf(timed, 250)).toEqual([1, 0, 1, 0, 1]);
  });
});

describe('trace files and specs', () => {
  it('reads a file, names a missing one, and labels what it read', () => {
    const at = file('t.csv', 'timestamp\n0\n0.5\n');
    expect(loadArrivals(at)).toEqual({ arrivalsMs: [0, 500], label: `${at} (2 arrivals, column timestamp: seconds)` });
    const missing = errorOf(() => loadTrace('/nonexistent/trace.csv'));
    expect(missing.code).toBe('INVALID_ARGUMENT');
    expect(missing.message).toBe('Expected a readable trace CSV file or a gen: spec, got "/nonexistent/trace.csv" (no such file)');
    expect(errorOf(() => loadTrace(dir)).message).toMatch(/it is a directory/);
  });

  it('spreads a count file over intervals of the given length for arrivals', () => {
    const at = file('counts.csv', 'count\n2\n0\n1\n');
    expect(loadArrivals(at, { countIntervalS: 0.5 }).arrivalsMs).toEqual([0, 250, 1000]);
    expect(loadArrivals(at).label).toMatch(/\(3 intervals of counts, column count\), spread evenly over 1 s intervals$/);
    expect(loadCounts(at, 60)).toMatchObject({ counts: [2, 0, 1], from: 'counts' });
  });

  it('writes CSV that reads back to the same arrivals (to the microsecond)', () => {
    const arrivalsMs = [0.0004, 12.3456789, 1500, 3_599_999.9991];
    const text = formatTraceCsv(arrivalsMs);
    expect(text.split('\n').slice(0, 3)).toEqual(['timestamp', '0.000000', '0.012346']);
    const back = arrivals(text).arrivalsMs;
    back.forEach((ms, i) => expect(Math.abs(ms - arrivalsMs[i]!)).toBeLessThanOrEqual(0.0005 + 1e-9));
  });

  it('loads the shipped Azure traces to the figures in their README', () => {
    const conv = loadArrivals(new URL('../../traces/azure-llm-2023/conv.csv', import.meta.url).pathname).arrivalsMs;
    expect(conv.length).toBe(19_366);
    expect((conv.at(-1)! - conv[0]!) / 60_000).toBeCloseTo(58.4, 1);
    const code = loadCounts(new URL('../../traces/azure-llm-2023/code.csv', import.meta.url).pathname, 1);
    expect(code.from).toBe('arrivals');
    expect(code.counts.reduce((a, b) => a + b, 0)).toBe(8819);
  });
});

// Regression (issue 10): the same CSV means the same arrivals to every command.
describe('one grammar for every caller', () => {
  const offsetTrace = 'TIMESTAMP\n2023-11-16 19:00:00+01:00\n2023-11-16 18:00:00.5Z\n2023-11-16 18:00:01.75\n';

  it('ferry detect and loadgen both refuse 2023-02-30', async () => {
    const bad = file('feb30.csv', 'TIMESTAMP\n2023-02-28 23:59:59\n2023-02-30 00:00:00\n');
    await expect(runDetect({ series: bad, intervalS: 1, detector: 'bocpd', json: true }, () => {})).rejects.toThrow(/feb30\.csv line 3 .*day 30 is not 01\.\.28/);
    // The trace is read before the gateway is contacted, so no server is needed to see the refusal.
    await expect(runLoadgen({ url: 'http://127.0.0.1:1', model: 'mobilenetv2', trace: bad })).rejects.toThrow(/feb30\.csv line 3 .*day 30/);
  });

  it('ferry detect and loadgen both accept offsets and apply them', async () => {
    const at = file('offsets.csv', offsetTrace);
    // 18:00:00, 18:00:00.5, 18:00:01.75 UTC: 2 in the first second, 1 in the second.
    expect(loadCounts(at, 1).counts).toEqual([2, 1]);
    expect(loadArrivals(at).arrivalsMs).toEqual([0, 500, 1750]);
    const lines: string[] = [];
    await runDetect({ series: at, intervalS: 1, detector: 'cusum' }, (line) => lines.push(line));
    expect(lines[0]).toMatch(/2 intervals of 1 s \(arrival times binned\)/);
    // loadgen gets as far as the gateway (here: none listening), so it parsed the offsets.
    await expect(runLoadgen({ url: 'http://127.0.0.1:1', model: 'mobilenetv2', trace: at })).rejects.toThrow(/Could not reach the gateway/);
  });
});
