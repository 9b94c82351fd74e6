import { describe, expect, it } from 'vitest';
import { ConfigSpace, configKey, defaultBatchSizes, defaultMemoryMb, maxProcessesFor } from './config-space.js';
import { fitsInMemory, largestFittingBatch, memoryShortfall } from './memory-need.js';

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

  it('splits the vCPU share per process at one vCPU: idle share above, throttled share below', () => {
    const at = (memoryMb: number, processes: number) => space.encode({ memoryMb, batchSize: 8, processes }).slice(2);
    // One process per vCPU is the kink: both inputs 0 (above) and 1 (below), at any size.
    expect(at(1769, 1)).toEqual([0, 1]);
    expect(at(3538, 2)[0]).toBeCloseTo(0, 12);
    expect(at(7076, 4)[1]).toBeCloseTo(1, 12);
    // The largest share per process (10,240 MB, 1 process) and the smallest (512 MB, 1 process).
    expect(at(10240, 1)).toEqual([1, 1]);
    expect(at(512, 1)).toEqual([0, 0]);
    // 2 processes at 6144 MB have 1.74 vCPU each (idle share); 4 have 0.87 (throttled).
    expect(at(6144, 2)[0]).toBeCloseTo(Math.log(6144 / 1769 / 2) / Math.log(10240 / 1769), 12);
    expect(at(6144, 4)).toEqual([0, expect.closeTo(1 - Math.log((6144 / 1769 / 4)) / Math.log(512 / 1769), 12)]);
  });

  it('has a contextual variant with the arrival rate on a log scale as a 5th input', () => {
    const contextual = space.contextual({ minRatePerS: 1, maxRatePerS: 100 });
    expect(space.dimensions).toBe(4);
    expect(contextual.dimensions).toBe(5);
    expect(contextual.size).toBe(space.size);
    const config = { memoryMb: 1769, batchSize: 8, processes: 1 };
    expect(contextual.encode(config, 10)[4]).toBeCloseTo(0.5, 12);
    expect(contextual.encode(config, 1000)[4]).toBe(1);
    expect(contextual.encode(config, 10).slice(0, 4)).toEqual(space.encode(config));
    expect(() => contextual.encode(config)).toThrow(/arrival rate/);
    expect(() => space.contextual({ minRatePerS: 5, maxRatePerS: 5 })).toThrow(/minRatePerS/);
  });

  it('has a variant with the process count on a log scale as an input of its own, kept before the context', () => {
    const withProcesses = space.withProcessInput();
    expect(withProcesses.dimensions).toBe(5);
    expect(withProcesses.size).toBe(space.size);
    const two = { memoryMb: 2048, batchSize: 4, processes: 2 };
    const one = { memoryMb: 1024, batchSize: 4, processes: 1 };
    // Same share per process: the first four inputs differ in memory alone.
    expect(space.encode(two).slice(2)).toEqual(space.encode(one).slice(2));
    expect(withProcesses.encode(one)[4]).toBe(0);
    expect(withProcesses.encode(two)[4]).toBeCloseTo(Math.log(2) / Math.log(6), 12);
    expect(withProcesses.encode({ memoryMb: 10240, batchSize: 4, processes: 6 })[4]).toBe(1);
    const contextual = withProcesses.contextual({ minRatePerS: 1, maxRatePerS: 100 });
    expect(contextual.dimensions).toBe(6);
    expect(contextual.encode(two, 10)).toEqual([...withProcesses.encode(two), 0.5]);
  });

  it('finds the scaled neighbours: twice and half the processes on about twice and half the memory', () => {
    const space = new ConfigSpace();
    const keys = (c: { memoryMb: number; batchSize: number; processes: number }) => space.scaledNeighbours(space.indexOf(c)).map((i) => configKey(space.configs[i]!));
    expect(keys({ memoryMb: 1024, batchSize: 4, processes: 1 })).toEqual(['2048/4/2']);
    expect(keys({ memoryMb: 3538, batchSize: 4, processes: 2 })).toEqual(['7076/4/4', '1769/4/1']);
    // 4 processes at 4,096 MB are more than its 3 started vCPUs allow: only the half.
    expect(keys({ memoryMb: 2048, batchSize: 4, processes: 2 })).toEqual(['1024/4/1']);
    // No 3,072 MB: the nearest size within 15%, 3,008 MB.
    expect(keys({ memoryMb: 1536, batchSize: 2, processes: 1 })).toEqual(['3008/2/2']);
    // 20 GB is past the largest size, and one process has no half.
    expect(keys({ memoryMb: 10240, batchSize: 8, processes: 1 })).toEqual([]);
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

  it('leaves out the configurations whose batch does not fit their memory size', () => {
    const need = { baseMb: 60, perProcessMb: 85, perItemMb: 13 };
    const fitting = new ConfigSpace({ memoryNeed: need });
    expect(fitting.size).toBeLessThan(space.size);
    expect(fitting.configs.every((c) => fitsInMemory(need, c))).toBe(true);
    expect(space.configs.filter((c) => fitsInMemory(need, c)).map(configKey)).toEqual(fitting.configs.map(configKey));
    // 512 MB, one worker: 24 items need 457 MB, 32 need 561 MB.
    expect(fitting.has({ memoryMb: 512, batchSize: 24, processes: 1 })).toBe(true);
    expect(fitting.has({ memoryMb: 512, batchSize: 32, processes: 1 })).toBe(false);
    expect(largestFittingBatch(need, 512, 1)).toBe(28);
    expect(largestFittingBatch(need, 128, 1)).toBe(0);
    expect(memoryShortfall(need, { memoryMb: 512, batchSize: 64, processes: 1 })).toBe('512 MB with batch 64 on 1 process(es) needs about 977 MB (60 + 85 per process + 13 per item)');
    expect(memoryShortfall(need, { memoryMb: 512, batchSize: 16, processes: 1 })).toBeUndefined();
  });
});
