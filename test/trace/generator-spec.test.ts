import { describe, expect, it } from 'vitest';
import { FerryError } from '../../src/core/errors.js';
import { mmppArrivals, poissonArrivals } from '../../src/trace/generators.js';
import { formatGeneratorSpec, generateArrivals, parseGeneratorSpec } from '../../src/trace/generator-spec.js';
import { loadArrivals, loadCounts } from '../../src/trace/load.js';

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).code).toBe('INVALID_ARGUMENT');
    return (error as FerryError).message;
  }
  throw new Error('Expected an error, got none');
}

describe('gen: specs', () => {
  it('parses each kind into the generator options', () => {
    expect(parseGeneratorSpec('gen:mmpp?rate-per-s=20&burst-rate-per-s=200&duration-s=3600&seed=1')).toEqual({
      kind: 'mmpp', options: { durationS: 3600, seed: 1, states: [{ ratePerS: 20, meanSojournS: 60 }, { ratePerS: 200, meanSojournS: 10 }] },
    });
    expect(parseGeneratorSpec('gen:mmpp?rates-per-s=0,50,500&mean-sojourns-s=30,30,5&duration-s=60&seed=2').options).toMatchObject({
      states: [{ ratePerS: 0, meanSojournS: 30 }, { ratePerS: 50, meanSojournS: 30 }, { ratePerS: 500, meanSojournS: 5 }],
    });
    expect(parseGeneratorSpec('gen:poisson?rate-per-s=2.5&duration-s=1e3&seed=0')).toEqual({ kind: 'poisson', options: { ratePerS: 2.5, durationS: 1000, seed: 0 } });
    expect(parseGeneratorSpec('gen:step?rates-per-s=10,40,10&change-at-s=600,1200&duration-s=1800&seed=3').options)
      .toEqual({ ratesPerS: [10, 40, 10], changeAtS: [600, 1200], durationS: 1800, seed: 3 });
    expect(parseGeneratorSpec('gen:step?rates-per-s=10&duration-s=60&seed=3').options).toMatchObject({ changeAtS: [] });
    expect(parseGeneratorSpec('gen:diurnal?rate-per-s=20&period-s=600&duration-s=3600&seed=4&').options)
      .toEqual({ ratePerS: 20, periodS: 600, durationS: 3600, seed: 4 });
  });

  it('generates what the generator functions generate, and the canonical string parses back to the same', () => {
    const text = 'gen:mmpp?rate-per-s=20&burst-rate-per-s=200&mean-burst-s=5&duration-s=600&seed=9';
    const spec = parseGeneratorSpec(text);
    const arrivalsMs = generateArrivals(spec);
    expect(arrivalsMs).toEqual(mmppArrivals({ durationS: 600, seed: 9, states: [{ ratePerS: 20, meanSojournS: 60 }, { ratePerS: 200, meanSojournS: 5 }] }));
    const canonical = formatGeneratorSpec(spec);
    expect(canonical).toBe('gen:mmpp?rates-per-s=20,200&mean-sojourns-s=60,5&duration-s=600&seed=9');
    expect(parseGeneratorSpec(canonical)).toEqual(spec);
    for (const other of ['gen:poisson?rate-per-s=3&duration-s=60&seed=1', 'gen:step?rates-per-s=1,2&change-at-s=30&duration-s=60&seed=1',
      'gen:diurnal?rate-per-s=5&amplitude=0.25&period-s=60&peak-at-s=10&duration-s=60&seed=1']) {
      expect(formatGeneratorSpec(parseGeneratorSpec(other))).toBe(other);
    }
  });

  it('is accepted wherever a trace file is (loadArrivals, loadCounts), with a label', () => {
    const loaded = loadArrivals('gen:poisson?rate-per-s=10&duration-s=60&seed=1');
    expect(loaded.arrivalsMs).toEqual(poissonArrivals({ ratePerS: 10, durationS: 60, seed: 1 }));
    expect(loaded.label).toBe(`gen:poisson?rate-per-s=10&duration-s=60&seed=1 (${loaded.arrivalsMs.length} arrivals)`);
    const counts = loadCounts('gen:poisson?rate-per-s=10&duration-s=60&seed=1', 10);
    expect(counts.from).toBe('arrivals');
    expect(counts.counts.reduce((a, b) => a + b, 0)).toBe(loaded.arrivalsMs.length);
  });

  it('checks every key: unknown kind, unknown key, a key twice, a missing one, a bad number', () => {
    expect(messageOf(() => parseGeneratorSpec('gen:bursty?seed=1')))
      .toBe('Expected the generator kind in gen:bursty?seed=1 to be one of poisson, step, mmpp, diurnal, got "bursty"');
    expect(messageOf(() => parseGeneratorSpec('gen:poisson?rate-per-s=1&burst-rate-per-s=2&duration-s=1&seed=1')))
      .toMatch(/keys of poisson in gen:poisson\?.* to be among rate-per-s, duration-s, seed, got burst-rate-per-s$/);
    expect(messageOf(() => parseGeneratorSpec('gen:poisson?rate-per-s=1&rate-per-s=2&duration-s=1&seed=1'))).toMatch(/each key once .*got rate-per-s twice/);
    expect(messageOf(() => parseGeneratorSpec('gen:poisson?rate-per-s=1&duration-s=60')))
      .toBe('Expected gen:poisson?rate-per-s=1&duration-s=60 to set seed (seed of the random stream (required: no unseeded default)), got no value');
    expect(messageOf(() => parseGeneratorSpec('gen:poisson?rate-per-s=fast&duration-s=60&seed=1'))).toMatch(/rate-per-s in gen:poisson\?.* to be a number, got "fast"/);
    expect(messageOf(() => parseGeneratorSpec('gen:poisson?rate-per-s=&duration-s=60&seed=1'))).toMatch(/rate-per-s .* to be a number, got ""/);
    expect(messageOf(() => parseGeneratorSpec('gen:poisson?rate-per-s=0x10&duration-s=60&seed=1'))).toMatch(/got "0x10"/);
    expect(messageOf(() => parseGeneratorSpec('gen:poisson?rate-per-s=1&duration-s=60&seed=1.5'))).toMatch(/seed .* integer, got "1\.5"/);
    expect(messageOf(() => parseGeneratorSpec('gen:poisson?rate-per-s&duration-s=60&seed=1'))).toMatch(/to be key=value, got "rate-per-s"/);
    expect(messageOf(() => parseGeneratorSpec('gen:step?rates-per-s=1,x&change-at-s=5&duration-s=60&seed=1'))).toMatch(/numbers separated by commas, got "1,x"/);
    expect(messageOf(() => parseGeneratorSpec('gen:step?rates-per-s=1,2&duration-s=60&seed=1'))).toMatch(/to set change-at-s/);
    expect(messageOf(() => parseGeneratorSpec('gen:mmpp?rate-per-s=1&rates-per-s=1,2&mean-sojourns-s=1,1&duration-s=60&seed=1')))
      .toMatch(/either as rate-per-s, burst-rate-per-s, mean-calm-s, mean-burst-s or as rates-per-s, mean-sojourns-s, got rate-per-s, rates-per-s, mean-sojourns-s/);
    expect(messageOf(() => parseGeneratorSpec('gen:mmpp?rates-per-s=1,2&mean-sojourns-s=1&duration-s=60&seed=1'))).toMatch(/as many values, got 2 and 1/);
    expect(messageOf(() => parseGeneratorSpec('gen:mmpp?rate-per-s=1&duration-s=60&seed=1'))).toMatch(/to set burst-rate-per-s/);
    expect(messageOf(() => parseGeneratorSpec('poisson?rate-per-s=1'))).toMatch(/generator spec like gen:poisson/);
  });

  it('checks the ranges when generating, naming the key', () => {
    expect(messageOf(() => loadArrivals('gen:poisson?rate-per-s=-1&duration-s=60&seed=1'))).toMatch(/rate-per-s of a poisson trace to be a number above 0, got -1/);
    expect(messageOf(() => loadArrivals('gen:diurnal?rate-per-s=1&amplitude=2&duration-s=60&seed=1'))).toMatch(/amplitude .* at most 1, got 2/);
  });
});
