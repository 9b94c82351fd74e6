import { describe, expect, it } from 'vitest';
import { runDetector, scoreChangePoints } from '../../src/bench/detect-metrics.js';
import { sinusoidSeries, stationarySeries, stepSeries, type CountNoise } from '../../src/trace/synthetic-counts.js';
import { Bocpd } from '../../src/core/change-point/bocpd.js';
import { Cusum } from '../../src/core/change-point/cusum.js';
import type { ChangePointDetector } from '../../src/core/change-point/detector.js';
import { changePointDetectorNames, changePointDetectors, createChangePointDetector } from '../../src/core/change-point/detectors.js';
import { logGamma } from '../../src/core/change-point/log-gamma.js';
import { RetuneTrigger } from '../../src/core/change-point/retune-trigger.js';
import { Rng } from '../../src/core/random.js';

const detectors: [string, () => ChangePointDetector][] = [
  ['bocpd', () => new Bocpd()],
  ['cusum', () => new Cusum()],
];

/** Mean F1 (margin 5) and all delays over `seeds` step series. */
function stepScore(make: () => ChangePointDetector, noise: CountNoise, factor: number, baseRate: number, seeds = 6) {
  const detector = make();
  const scores = Array.from({ length: seeds }, (_, seed) => {
    const series = stepSeries(new Rng(1000 * seed + 10 * baseRate + factor), { baseRate, factor, noise });
    return scoreChangePoints(series.changePoints, runDetector(detector, series.counts), 5);
  });
  return { f1: scores.reduce((sum, s) => sum + s.f1, 0) / scores.length, delays: scores.flatMap((s) => s.delays) };
}

function alarmsOn(make: () => ChangePointDetector, counts: number[]): number {
  return runDetector(make(), counts).length;
}

describe.each(detectors)('%s finds planted change points', (_name, make) => {
  // F1 over 6 series (18 changes) moves by 0.05 with one stray alarm, so each cell must reach
  // 0.8 and their mean 0.9.
  it.each([2, 4])('Poisson steps of %ix at 10, 20, 50 and 100 req/s', (factor) => {
    const f1s: number[] = [];
    for (const rate of [10, 20, 50, 100]) {
      const { f1, delays } = stepScore(make, 'poisson', factor, rate);
      expect(f1, `${factor}x at ${rate} req/s`).toBeGreaterThanOrEqual(0.8);
      expect(Math.max(...delays), `${factor}x at ${rate} req/s`).toBeLessThanOrEqual(15);
      f1s.push(f1);
    }
    expect(f1s.reduce((a, b) => a + b, 0) / f1s.length).toBeGreaterThanOrEqual(0.9);
  });

  it.each(['negbin', 'lognormal'] as CountNoise[])('over-dispersed (%s) steps of 2x and 4x at 20 and 100 req/s', (noise) => {
    const f1s: number[] = [];
    for (const factor of [2, 4]) {
      for (const rate of [20, 100]) {
        const { f1 } = stepScore(make, noise, factor, rate);
        expect(f1, `${noise} ${factor}x at ${rate} req/s`).toBeGreaterThanOrEqual(0.8);
        f1s.push(f1);
      }
    }
    expect(f1s.reduce((a, b) => a + b, 0) / f1s.length).toBeGreaterThanOrEqual(0.9);
  });

  it('raises few false alarms on 2 h stationary series, Poisson and over-dispersed', () => {
    let alarms = 0;
    let hours = 0;
    for (const noise of ['poisson', 'negbin', 'lognormal'] as CountNoise[]) {
      for (const rate of [10, 50]) {
        const counts = stationarySeries(new Rng(rate * 7 + noise.length), { rate, noise, length: 7200 });
        const found = alarmsOn(make, counts);
        expect(found, `${noise} at ${rate} req/s`).toBeLessThanOrEqual(3);
        alarms += found;
        hours += 2;
      }
    }
    expect(alarms / hours).toBeLessThanOrEqual(1);
  });

  it('is deterministic: the same counts give the same changes, also after reset()', () => {
    const series = stepSeries(new Rng(42), { baseRate: 20, factor: 2, noise: 'negbin' });
    const detector = make();
    const first = runDetector(detector, series.counts);
    const again = runDetector(detector, series.counts); // runDetector resets
    const fresh = runDetector(make(), series.counts);
    expect(first.length).toBeGreaterThan(0);
    expect(again).toEqual(first);
    expect(fresh).toEqual(first);
    const regenerated = stepSeries(new Rng(42), { baseRate: 20, factor: 2, noise: 'negbin' });
    expect(regenerated).toEqual(series);
  });

  it('reports each change once, with its start in changeIndex and indices counting updates', () => {
    const counts = [...new Array<number>(300).fill(20), ...new Array<number>(300).fill(80)].map((c, i) => c + (i % 3)); // near-constant levels
    const detector = make();
    const results = counts.map((count) => detector.update(count));
    expect(results.map((r) => r.index)).toEqual(counts.map((_, i) => i));
    const changes = results.filter((r) => r.changed);
    expect(changes).toHaveLength(1);
    expect(Math.abs(changes[0]!.changeIndex! - 300)).toBeLessThanOrEqual(2);
    expect(changes[0]!.index).toBeGreaterThanOrEqual(changes[0]!.changeIndex!);
  });

  it('rejects a negative or non-finite count', () => {
    expect(() => make().update(-1)).toThrow(RangeError);
    expect(() => make().update(Number.NaN)).toThrow(RangeError);
  });
});

describe('Bocpd', () => {
  it('keeps a normalized run-length posterior of at most maxRunLength entries', () => {
    const detector = new Bocpd({ maxRunLength: 50 });
    const rng = new Rng(3);
    for (let i = 0; i < 400; i++) detector.update(i < 200 ? rng.int(20) : 30 + rng.int(20));
    const posterior = detector.runLengthPosterior();
    expect(posterior.length).toBe(50);
    expect(posterior.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    // 200 intervals after the change the mass sits on runs of 50 or more (the last bin).
    expect(posterior[49]).toBeGreaterThan(0.9);
  });

  it('does not take the start of the stream for a change', () => {
    const counts = stationarySeries(new Rng(5), { rate: 30, noise: 'poisson', length: 100 });
    expect(runDetector(new Bocpd(), counts)).toEqual([]);
  });

  it('ignores a single outlier that a MAP-drop rule would take for a change', () => {
    const counts = stationarySeries(new Rng(9), { rate: 50, noise: 'poisson', length: 600 });
    counts[300] = 0;
    counts[450] = 400;
    expect(runDetector(new Bocpd(), counts)).toEqual([]);
  });

  it('validates its options', () => {
    expect(() => new Bocpd({ hazard: 0 })).toThrow(RangeError);
    expect(() => new Bocpd({ threshold: 1 })).toThrow(RangeError);
    expect(() => new Bocpd({ minRunLength: 0 })).toThrow(RangeError);
  });
});

describe('Cusum', () => {
  it('raises no alarm during its warm-up, and copes with a constant series (std 0)', () => {
    const detector = new Cusum({ warmUp: 30 });
    const steady = new Array<number>(500).fill(5);
    expect(runDetector(detector, steady)).toEqual([]);
    const alarms = runDetector(detector, [...steady, ...new Array<number>(50).fill(10)]);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.changeIndex).toBe(500);
    // A step inside the warm-up is not reported.
    expect(runDetector(new Cusum({ warmUp: 30 }), [...new Array<number>(20).fill(5), ...new Array<number>(5).fill(50)])).toEqual([]);
  });
});

describe('RetuneTrigger', () => {
  it('reports a large change once its effect is confirmed, with the estimated start: a plain one early', () => {
    const series = stepSeries(new Rng(11), { baseRate: 20, factor: 2, noise: 'poisson', segments: 2 });
    const [declared] = runDetector(new Bocpd(), series.counts);
    const alarms = runDetector(new RetuneTrigger(new Bocpd(), { afterWindow: 10 }), series.counts);
    expect(alarms).toHaveLength(1);
    expect(Math.abs(alarms[0]!.changeIndex - series.changePoints[0]!)).toBeLessThanOrEqual(5);
    // A 2x step clears the 30% minimum by far: confirmed after minAfter (3) intervals, not the full 10.
    expect(alarms[0]!.index - declared!.index).toBeGreaterThanOrEqual(3);
    expect(alarms[0]!.index - declared!.index).toBeLessThan(10);
  });

  it('confirms a change barely over the minimum effect only after the full window', () => {
    const counts = [...new Array<number>(300).fill(100), ...new Array<number>(300).fill(135)];
    const [declared] = runDetector(new Cusum(), counts);
    const alarms = runDetector(new RetuneTrigger(new Cusum(), { afterWindow: 10 }), counts);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.index - declared!.index).toBe(10);
  });

  it('drops changes under the minimum effect that the bare detector reports', () => {
    // A clean 15% step: the detector sees it, the trigger (min effect 30%) does not.
    const counts = [...new Array<number>(400).fill(100), ...new Array<number>(400).fill(115)];
    expect(runDetector(new Cusum(), counts)).toHaveLength(1);
    expect(runDetector(new RetuneTrigger(new Cusum()), counts)).toEqual([]);
    expect(runDetector(new RetuneTrigger(new Cusum(), { minEffect: 0.1 }), counts)).toHaveLength(1);
  });

  it('keeps the minimum gap between triggers (a passing change waits for it)', () => {
    const level = (rate: number, n: number) => new Array<number>(n).fill(rate);
    const counts = [...level(10, 200), ...level(40, 30), ...level(10, 300)];
    const bare = runDetector(new Cusum({ warmUp: 10 }), counts);
    expect(bare.length).toBeGreaterThanOrEqual(2);
    const alarms = runDetector(new RetuneTrigger(new Cusum({ warmUp: 10 }), { minGap: 60 }), counts);
    expect(alarms).toHaveLength(2);
    expect(alarms[1]!.index - alarms[0]!.index).toBeGreaterThanOrEqual(60);
    expect(alarms[0]!.changeIndex).toBe(200);
    expect(Math.abs(alarms[1]!.changeIndex - 230)).toBeLessThanOrEqual(2);
  });

  it.each(detectors)('stays quiet on a slow daily-cycle-like sinusoid and on over-dispersed stationary series (%s)', (_name, make) => {
    let triggers = 0;
    for (let seed = 0; seed < 2; seed++) {
      const sine = sinusoidSeries(new Rng(seed), { rate: 20, amplitude: 0.5, periodS: 7200, length: 4 * 3600, noise: 'negbin' });
      triggers += runDetector(new RetuneTrigger(make()), sine).length;
    }
    expect(triggers / 8).toBeLessThanOrEqual(0.5);
    const stationary = stationarySeries(new Rng(77), { rate: 10, noise: 'negbin', length: 4 * 3600 });
    expect(runDetector(new RetuneTrigger(make()), stationary).length).toBeLessThanOrEqual(1);
  });
});

describe('the detector table', () => {
  it('names bocpd and cusum and wraps on request', () => {
    expect(changePointDetectorNames).toEqual(['bocpd', 'cusum']);
    expect(changePointDetectors.bocpd()).toBeInstanceOf(Bocpd);
    expect(changePointDetectors.cusum({ threshold: 5 })).toBeInstanceOf(Cusum);
    expect(createChangePointDetector('cusum', {})).toBeInstanceOf(RetuneTrigger);
    expect(createChangePointDetector('bocpd')).toBeInstanceOf(Bocpd);
  });
});

describe('scoreChangePoints', () => {
  it('matches each true change to the closest unclaimed estimate within the margin', () => {
    const alarms = [{ index: 103, changeIndex: 101 }, { index: 104, changeIndex: 99 }, { index: 260, changeIndex: 250 }];
    const score = scoreChangePoints([100, 200], alarms, 5);
    expect(score.truePositives).toBe(1);
    expect(score.delays).toEqual([3]);
    expect(score.precision).toBeCloseTo(1 / 3);
    expect(score.recall).toBe(0.5);
    expect(score.f1).toBeCloseTo(0.4);
    expect(scoreChangePoints([100], [], 5)).toMatchObject({ precision: 1, recall: 0, f1: 0 });
  });
});

describe('logGamma', () => {
  it('matches known values', () => {
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(100.5)).toBeCloseTo(361.4355404677776, 8);
  });
});
