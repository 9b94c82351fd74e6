import type { ModelTuningEvent } from '../serving/events.js';
import type { Interval } from './cost-columns.js';

/**
 * joint-bo's tuning episodes, read from the events its Autotune emits (no hook in the
 * tuner): an episode starts when traffic starts and at every change point that re-tuned
 * (one reported with `retuned: false` let the episode go on), and ends at the
 * first of
 * - an `applied` event that moves to the incumbent (the optimizer's stopping rule fired:
 *   its reason says "incumbent"), or a `stopped` event;
 * - the `evaluated` event that closes the window of the last configuration the episode
 *   applied (after it the tuner kept the configuration in force: it had stopped on it);
 * - the next change point, or the end of the run (still exploring).
 * An episode whose tuner never changed the configuration ends at its first evaluation.
 * All times on the run's clock.
 */
export function tuningEpisodes(events: readonly ModelTuningEvent[], trafficStartMs: number, endMs: number): Interval[] {
  const starts = [trafficStartMs, ...events.filter((e) => e.kind === 'change-point' && e.retuned !== false).map((e) => e.atMs)];
  return starts.map((startMs, i) => {
    const next = i + 1 < starts.length ? starts[i + 1]! : Infinity;
    const boundMs = Math.max(startMs, Math.min(next, endMs));
    const own = events.filter((e) => e.kind !== 'change-point' && e.atMs >= startMs && e.atMs < next);
    const settled = own.find((e) => e.kind === 'stopped' || (e.kind === 'applied' && /incumbent/.test(e.reason)));
    const lastAppliedIndex = own.map((e) => e.kind).lastIndexOf('applied');
    const closing = own.slice(lastAppliedIndex + 1).find((e) => e.kind === 'evaluated');
    const ends = [boundMs, ...(settled ? [settled.atMs] : []), ...(closing ? [closing.atMs] : [])];
    return { startMs, endMs: Math.min(...ends) };
  });
}

/**
 * BATCH's re-optimizations as episodes: its profiling window (traffic start to its first
 * choice: it serves one request per invocation while it observes), and the `settleMs` after
 * every later choice, while the new configuration's instances start (a memory change
 * cold-starts them) and the old ones drain. Its choices themselves are instantaneous (a
 * search by simulation), so this is the time its traffic feels them.
 */
export function reconfigurationEpisodes(configChangesAtMs: readonly number[], trafficStartMs: number, endMs: number, settleMs = 60_000): Interval[] {
  if (configChangesAtMs.length === 0) return [{ startMs: trafficStartMs, endMs }];
  const [first, ...later] = configChangesAtMs;
  return [
    { startMs: trafficStartMs, endMs: first! },
    { startMs: first!, endMs: Math.min(endMs, first! + settleMs) },
    ...later.map((atMs) => ({ startMs: atMs, endMs: Math.min(endMs, atMs + settleMs) })),
  ];
}
