import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/virtual-clock.js';
import { HostCpu } from './host-cpu.js';

describe('HostCpu', () => {
  it('shares the cores with foreign runnable work: 1 core of work among 2 foreign threads on 2 cores runs at 2/3 speed', () => {
    const finishedAt = (backgroundCores: number) => {
      const clock = new VirtualClock(0, 1000);
      const host = new HostCpu(clock, 2, backgroundCores);
      let doneMs = -1;
      host.run(100, 1, () => (doneMs = clock.nowMs()));
      while (clock.step()) { /* run to the end */ }
      return doneMs;
    };
    expect(finishedAt(0)).toBeCloseTo(100, 6);
    expect(finishedAt(1)).toBeCloseTo(100, 6);
    expect(finishedAt(2)).toBeCloseTo(150, 6);
  });
});
