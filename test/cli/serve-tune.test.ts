import { describe, expect, it } from 'vitest';
import { checkFits, checkTunable } from '../../src/cli/serve.js';
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

// Found live (issue 11): a tuner trial of 512 MB with batches of 64 ran MobileNetV2's worker
// out of memory, and 58 requests were answered 502 WORKER_CRASHED.
describe('ferry serve refuses a batch that does not fit the memory size', () => {
  it('refuses MobileNetV2 batches of 64 at 512 MB, naming the need and the largest batch that fits', () => {
    expect(() => checkFits('mobilenetv2', { memoryMb: 512, batchSize: 64, processes: 1 })).toThrow(expect.objectContaining({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/mobilenetv2 at 512 MB with batch 64 on 1 process\(es\) needs about 977 MB .*use --batch-size 28 or less, or more --memory-mb/),
    }));
  });

  it('accepts what fits: the default configuration, and the small OCR model at 512 MB with batches of 64', () => {
    expect(() => checkFits('mobilenetv2', defaultModelConfig)).not.toThrow();
    expect(() => checkFits('mobilenetv2', { memoryMb: 512, batchSize: 16, processes: 1 })).not.toThrow();
    expect(() => checkFits('ocr-cls', { memoryMb: 512, batchSize: 64, processes: 1 })).not.toThrow();
  });
});
