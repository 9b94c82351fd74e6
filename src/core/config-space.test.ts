import { describe, expect, it } from 'vitest';
import { ConfigSpace, configKey, defaultBatchSizes, defaultMemoryMb, maxProcessesFor } from './config-space.js';

describe('maxProcessesFor', () => {
  it('allows one process per started vCPU, at least 1 and at most 6', () => {
    expect(maxProcessesFor(512)).toBe(1);
    expect(maxProcessesFor(1769)).toBe(1);
    expect(maxProcessesFor(1770)).toBe(2);
    expect(maxProcessesFor(3538)).toBe(2);
    expect(maxProcessesFor(4096)).toBe(3);
    expect(maxProcessesFor(10240)).toBe(6);
    expect(maxProcessesFor(10240, 4)).toBe(4);
  });
});

describe('ConfigSpace', () => {
  const space = new ConfigSpace();

  it('enumerates memory x batch x processes under the processes rule', () => {
    const perMemory = defaultMemoryMb.reduce((sum, m) => sum + maxProcessesFor(m), 0);
    expect(space.size).toBe(perMemory * defaultBatchSizes.length);
    expect(space.size).toBe(360);
    expect(space.configs.every((c) => c.processes <= maxProcessesFor(c.memoryMb))).toBe(true);
    expect(new Set(space.configs.map(configKey)).size).toBe(space.size);
    expect(space.indexOf({ memoryMb: 1769, batchSize: 16, processes: 1 })).toBeGreaterThanOrEqual(0);
    expect(space.has({ memoryMb: 1769, batchSize: 16, processes: 2 })).toBe(false);
  });

  it('encodes memory and batch on log scales into [0, 1]', () => {
    expect(space.encode({ memoryMb: 512, batchSize: 1, processes: 1 }).slice(0, 2)).toEqual([0, 0]);
    expect(space.encode({ memoryMb: 10240, batchSize: 64, processes: 6 }).slice(0, 2)).toEqual([1, 1]);
    // log2(8) / log2(64) = 0.5; log(1769 / 512) / log(20) = 0.4137
    const [m, b] = space.encode({ memoryMb: 1769, batchSize: 8, processes: 1 });
    expect(b).toBeCloseTo(0.5, 12);
    expect(m).toBeCloseTo(Math.log(1769 / 512) / Math.log(20), 12);
    for (const c of space.configs) for (const v of space.encode(c)) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('encodes processes per vCPU: a process per vCPU is the same input at any size', () => {
    const at = (memoryMb: number, processes: number) => space.encode({ memoryMb, batchSize: 8, processes })[2]!;
    expect(at(3538, 2)).toBeCloseTo(at(1769, 1), 12);
    expect(at(7076, 4)).toBeCloseTo(at(1769, 1), 12);
    expect(at(10240, 1)).toBe(0);
    expect(at(512, 1)).toBe(1);
    expect(at(6144, 2)).toBeLessThan(at(6144, 4));
  });

  it('has a contextual variant with the arrival rate on a log scale as a 4th input', () => {
    const contextual = space.contextual({ minRatePerS: 1, maxRatePerS: 100 });
    expect(contextual.dimensions).toBe(4);
    expect(contextual.size).toBe(space.size);
    const config = { memoryMb: 1769, batchSize: 8, processes: 1 };
    expect(contextual.encode(config, 10)[3]).toBeCloseTo(0.5, 12);
    expect(contextual.encode(config, 1000)[3]).toBe(1);
    expect(contextual.encode(config, 10).slice(0, 3)).toEqual(space.encode(config));
    expect(() => contextual.encode(config)).toThrow(/arrival rate/);
    expect(() => space.contextual({ minRatePerS: 5, maxRatePerS: 5 })).toThrow(/minRatePerS/);
  });

  it('builds a space from explicit configurations and rejects duplicates', () => {
    const configs = [
      { memoryMb: 1024, batchSize: 1, processes: 1 },
      { memoryMb: 2048, batchSize: 4, processes: 2 },
    ];
    const small = ConfigSpace.fromConfigs(configs);
    expect(small.configs).toEqual(configs);
    expect(small.memorySizes).toEqual([1024, 2048]);
    expect(small.maxProcessesAt(2048)).toBe(2);
    expect(() => ConfigSpace.fromConfigs([...configs, configs[0]!])).toThrow(/Duplicate/);
    expect(() => ConfigSpace.fromConfigs([])).toThrow(/at least one/);
  });
});
