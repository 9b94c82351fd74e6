import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/virtual-clock.js';
import { HostCpu } from './host-cpu.js';

describe('HostCpu', () => {
  it('gives the instances together one share against each foreign runnable thread (their common cgroup), or what the foreign threads leave', () => {
    const finishedAt = (backgroundCores: number) => {
      const clock = new VirtualClock(0, 1000);
      const host = new HostCpu(clock, 2, backgroundCores);
      let doneMs = -1;
      host.run(100, 1, () => (doneMs = clock.nowMs()));
      while (clock.step()) { /* run to the end */ }
      return doneMs;
    };
    expect(finishedAt(0)).toBeCloseTo(100, 6);
    // 1 foreign thread on 2 cores leaves a whole core.
    expect(finishedAt(1)).toBeCloseTo(100, 6);
    // 3 foreign threads: the instances get 2 / 4 of the host.
    expect(finishedAt(3)).toBeCloseTo(200, 6);
    expect(finishedAt(7)).toBeCloseTo(400, 6);
  });
});
