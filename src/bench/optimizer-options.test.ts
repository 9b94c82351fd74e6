import { describe, expect, it } from 'vitest';
import { parseOptimizerOptions } from './optimizer-options.js';

describe('ferry bench tuner --optimizer', () => {
  it('passes the settings it knows, with their types', () => {
    expect(parseOptimizerOptions('{"feasibilityTrend":false,"missSlackCap":3,"costClampFrom":"all"}')).toEqual({ feasibilityTrend: false, missSlackCap: 3, costClampFrom: 'all' });
    expect(parseOptimizerOptions('{}')).toEqual({});
  });

  it('rejects what is not a JSON object, unknown settings and wrong types with INVALID_ARGUMENT', () => {
    for (const text of ['{feasibilityTrend:false}', '[1]', 'null', '3']) expect(() => parseOptimizerOptions(text)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseOptimizerOptions('{"space":{}}')).toThrow(/Unknown --optimizer setting "space"/);
    expect(() => parseOptimizerOptions('{"economics":{"horizonS":1}}')).toThrow(/Unknown --optimizer setting "economics"/);
    expect(() => parseOptimizerOptions('{"feasibilityTrend":"no"}')).toThrow(/feasibilityTrend to be a boolean/);
    expect(() => parseOptimizerOptions('{"missSlackCap":"3"}')).toThrow(/missSlackCap to be a number/);
    expect(() => parseOptimizerOptions('{"costClampFrom":"some"}')).toThrow(/one of all, feasible/);
  });
});
