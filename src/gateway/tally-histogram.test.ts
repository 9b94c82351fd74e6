import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TallyHistogram } from './tally-histogram.js';

describe('TallyHistogram', () => {
  it("exposes exactly what prom-client's own Histogram exposes for the same observations", async () => {
    const buckets = [0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    const tally = new TallyHistogram('ferry_x_seconds', 'Some latency', ['model', 'status'], buckets, ours);
    const reference = new Histogram({ name: 'ferry_x_seconds', help: 'Some latency', labelNames: ['model', 'status'], buckets, registers: [theirs] });
    const observations: Array<[string, string, number]> = [
      ['a', '200', 0.005], ['a', '200', 0.01], ['a', '200', 0.5], ['a', '503', 7], ['b "quoted"', '200', 0.1], ['a', '200', 0.0999],
    ];
    for (const [model, status, value] of observations) {
      tally.series(model, status).observe(value);
      reference.observe({ model, status }, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('gives one series per label set and refuses the wrong number of labels', () => {
    const tally = new TallyHistogram('ferry_y', 'y', ['model'], [1], new Registry());
    expect(tally.series('a')).toBe(tally.series('a'));
    expect(tally.series('a')).not.toBe(tally.series('b'));
    expect(() => tally.series('a', 'extra')).toThrow(/Expected 1 label values/);
  });
});
