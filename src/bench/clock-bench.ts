import type { Command } from 'commander';
import { Rng } from '../core/random.js';
import { median } from '../core/stats.js';
import { VirtualClock } from '../core/virtual-clock.js';
import { integerOption, numberList } from '../util/options.js';
import { machineLine } from './function-bench.js';

/**
 * `ferry bench clock`: what one timer costs on the virtual clock that drives the simulator,
 * against the array-scanning clock it replaced, with N timers pending throughout.
 *
 * - set+fire: arm a timer (delay uniform in 1..N ms, seeded) and fire the next one due, so
 *   that N stay pending: the simulator's steady state (arrivals, batch timers, completions).
 * - set+cancel: arm a timer and cancel it at once: the dispatcher's invocation timeouts and
 *   the batcher's re-armed deadline, which mostly never fire.
 */
export interface ClockBenchOptions {
  /** Pending-timer counts to measure at. @default [10, 1000, 100000] */
  pending: number[];
  /** Interleaved rounds; the median is reported. @default 5 */
  rounds: number;
  /** Minimum measured time per cell and round. @default 200 */
  cellMs: number;
}

export interface ClockBenchRow {
  pending: number;
  workload: 'set+fire' | 'set+cancel';
  baselineNsPerCycle: number;
  heapNsPerCycle: number;
  /** baseline / heap. */
  speedup: number;
}

/** What both clocks offer the bench: the old one only had advance, so it gains step() below. */
interface BenchClock {
  setTimer(delayMs: number, fn: () => void): unknown;
  cancel(id: unknown): void;
  step(): boolean;
}

/**
 * BASELINE, not used by ferry: the VirtualClock as it was before the heap (src/core at
 * 27a26c6), kept here only to measure against. Every operation scans the array. Its
 * `advanceTo` fired a timer by one `nextDue` scan plus one `filter`; `step` below is exactly
 * that one iteration (without the loop's last, empty scan, which favours the baseline).
 */
class BaselineArrayClock implements BenchClock {
  private now = 0;
  private nextId = 1;
  private timers: { id: number; atMs: number; fn: () => void }[] = [];

  setTimer(delayMs: number, fn: () => void): unknown {
    const timer = { id: this.nextId++, atMs: this.now + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    return timer;
  }

  cancel(id: unknown): void {
    this.timers = this.timers.filter((timer) => timer !== id);
  }

  step(): boolean {
    let best: { id: number; atMs: number; fn: () => void } | undefined;
    for (const timer of this.timers) {
      if (!best || timer.atMs < best.atMs || (timer.atMs === best.atMs && timer.id < best.id)) best = timer;
    }
    if (!best) return false;
    const next = best;
    this.timers = this.timers.filter((timer) => timer.id !== next.id);
    this.now = next.atMs;
    next.fn();
    return true;
  }
}

const clocks: Record<'baseline' | 'heap', () => BenchClock> = {
  baseline: () => new BaselineArrayClock(),
  heap: () => new VirtualClock(),
};

let sink = 0;
const noop = () => {
  sink++;
};

/** ns per cycle of one workload on a fresh clock holding `pending` timers, over at least `cellMs`. */
function measureCell(makeClock: () => BenchClock, pending: number, workload: ClockBenchRow['workload'], cellMs: number, seed: number): number {
  const clock = makeClock();
  const rng = new Rng(seed);
  const delay = () => 1 + rng.int(pending);
  for (let i = 0; i < pending; i++) clock.setTimer(delay(), noop);
  const cycle = workload === 'set+fire'
    ? () => {
      clock.setTimer(delay(), noop);
      clock.step();
    }
    : () => clock.cancel(clock.setTimer(delay(), noop));
  // Batches grow until one batch is long enough to time well, then the cell runs on.
  let batch = 1;
  let cycles = 0;
  let elapsedMs = 0;
  while (elapsedMs < cellMs) {
    const startMs = performance.now();
    for (let i = 0; i < batch; i++) cycle();
    elapsedMs += performance.now() - startMs;
    cycles += batch;
    if (batch < 1 << 16) batch *= 2;
  }
  return (elapsedMs * 1e6) / cycles;
}

export function runClockBench(options: ClockBenchOptions, progress: (line: string) => void): ClockBenchRow[] {
  const rows: ClockBenchRow[] = [];
  const workloads = ['set+fire', 'set+cancel'] as const;
  // Warm the JIT on every path first, so the first cell measured is not also the slowest.
  for (const workload of workloads) {
    for (const name of ['baseline', 'heap'] as const) measureCell(clocks[name], 100, workload, options.cellMs, 0);
  }
  for (const pending of options.pending) {
    for (const workload of workloads) {
      const samples = { baseline: [] as number[], heap: [] as number[] };
      for (let round = 1; round <= options.rounds; round++) {
        for (const name of ['baseline', 'heap'] as const) samples[name].push(measureCell(clocks[name], pending, workload, options.cellMs, round));
      }
      const row: ClockBenchRow = {
        pending, workload,
        baselineNsPerCycle: Math.round(median(samples.baseline)),
        heapNsPerCycle: Math.round(median(samples.heap)),
        speedup: median(samples.baseline) / median(samples.heap),
      };
      progress(`  ${pending} pending, ${workload}: baseline ${row.baselineNsPerCycle} ns, heap ${row.heapNsPerCycle} ns`);
      rows.push(row);
    }
  }
  if (sink < 0) progress('unreachable');
  return rows;
}

export function registerClockBench(bench: Command): void {
  bench
    .command('clock')
    .description('ns per timer cycle of the virtual clock (binary heap) vs the array-scanning clock it replaced')
    .option('--pending <list>', 'pending-timer counts', numberList('--pending', 1, 10_000_000), [10, 1000, 100_000])
    .option('--rounds <n>', 'interleaved rounds (median reported)', integerOption('--rounds', 1, 50), 5)
    .option('--cell-ms <ms>', 'measured time per cell and round', integerOption('--cell-ms', 10, 60_000), 200)
    .option('--json', 'print rows as JSON')
    .action((flags: { pending: number[]; rounds: number; cellMs: number; json?: boolean }) => {
      const rows = runClockBench({ pending: flags.pending, rounds: flags.rounds, cellMs: flags.cellMs }, (line) => console.error(line));
      if (flags.json) {
        console.log(JSON.stringify({ machine: machineLine(), rows }, null, 2));
        return;
      }
      console.log(`\nferry bench clock: ns per cycle, median of ${flags.rounds} interleaved rounds (machine: ${machineLine()})\n`);
      console.log('| pending timers | cycle | baseline: array scan (old) | binary heap (VirtualClock) | speed-up |');
      console.log('|---|---|---|---|---|');
      for (const r of rows) {
        console.log(`| ${r.pending.toLocaleString('en-US')} | ${r.workload} | ${r.baselineNsPerCycle.toLocaleString('en-US')} | ${r.heapNsPerCycle.toLocaleString('en-US')} | ${r.speedup.toFixed(1)}x |`);
      }
    });
}
