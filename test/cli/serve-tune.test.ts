import { describe, expect, it } from 'vitest';
import { checkTunable } from '../../src/cli/serve.js';
import { defaultModelConfig } from '../../src/serving/model-config.js';

// Found by the reliability soak (issue 12): `ferry serve --tune --memory-mb 1769 --processes 2`
// served on, but its tuner stopped at the first window (the start is not in its space).
describe('ferry serve --tune refuses a starting configuration its tuner cannot try', () => {
  it('refuses 2 processes at 1769 MB (one vCPU), saying what would do', () => {
    expect(() => checkTunable({ memoryMb: 1769, batchSize: 4, processes: 2 })).toThrow(expect.objectContaining({
      code: 'INVALID_ARGUMENT', message: expect.stringMatching(/--processes at most 1 at 1769 MB.*got 1769 MB, batch 4, 2 process\(es\)/),
    }));
    expect(() => checkTunable({ memoryMb: 1000, batchSize: 4, processes: 1 })).toThrow(/--memory-mb in 512, 768, 1024/);
  });

  it('accepts the default configuration and others in the space', () => {
    expect(() => checkTunable(defaultModelConfig)).not.toThrow();
    expect(() => checkTunable({ memoryMb: 1769, batchSize: 4, processes: 1 })).not.toThrow();
  });
});
