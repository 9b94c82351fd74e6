import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isItemError, type FunctionResult, type ItemAnswer, type ItemOutput } from '../../src/core/function-event.js';
import { createFunction, type InferenceFunction } from '../../src/function/handler.js';
import { sampleBase64, tensorBase64, testCacheDir } from '../helpers/function.js';

const house = sampleBase64('cartoon-house.png');
const dunes = sampleBase64('dunes.jpg');
const itemFloats = 224 * 224 * 3;

function outputsOf(result: FunctionResult): ItemOutput[] {
  return result.outputs.map((answer) => {
    if (isItemError(answer)) throw new Error(`unexpected item error ${answer.error.code}: ${answer.error.message}`);
    return answer;
  });
}

function expectClose(a: ItemOutput, b: ItemOutput, tolerance = 1e-5): void {
  expect(a.shape).toEqual(b.shape);
  a.data.forEach((value, i) => expect(Math.abs(value - b.data[i]!)).toBeLessThanOrEqual(tolerance));
}

function errorCode(answer: ItemAnswer | undefined): string | undefined {
  return answer && isItemError(answer) ? answer.error.code : undefined;
}

describe('the ferry function (real model, real worker processes)', () => {
  let fn: InferenceFunction;
  beforeAll(() => {
    fn = createFunction({ cacheDir: testCacheDir, workerMode: 'process' });
  });
  afterAll(async () => {
    await fn.close();
  });

  it('classifies a sample image, with probabilities and timings', async () => {
    const result = await fn.handler({ model: 'mobilenetv2', inputs: [{ image: house }] });
    const [output] = outputsOf(result);
    expect(output!.shape).toEqual([5]);
    // A moderation classifier: a flat drawing of a house is safe content.
    expect(output!.top[0]!.label).toBe('Neutral');
    expect(output!.top[0]!.probability).toBeGreaterThan(0.9);
    expect(output!.top.map((t) => t.label).sort()).toEqual(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
    expect(output!.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(result.timings.totalMs).toBeGreaterThan(0);
    expect(result.timings.inferenceMs).toBeGreaterThan(0);
  });

  it('answers a batch of N exactly as N single calls', async () => {
    const images = [house, dunes, house, dunes, dunes];
    const batched = outputsOf(await fn.handler({ model: 'mobilenetv2', inputs: images.map((image) => ({ image })) }));
    expect(batched).toHaveLength(images.length);
    for (const [i, image] of images.entries()) {
      const [single] = outputsOf(await fn.handler({ model: 'mobilenetv2', inputs: [{ image }] }));
      expectClose(batched[i]!, single!);
    }
  });

  it('gives the same outputs on 2 processes as on 1, in input order', async () => {
    const inputs = [house, dunes, dunes, house, dunes].map((image) => ({ image }));
    const one = await fn.handler({ model: 'mobilenetv2', inputs, processes: 1 });
    const two = await fn.handler({ model: 'mobilenetv2', inputs, processes: 2 });
    expect(two.processes).toBe(2);
    expect(fn.workerPids('mobilenetv2')).toHaveLength(2);
    outputsOf(two).forEach((output, i) => expectClose(output, outputsOf(one)[i]!));
  });

  it('fails bad inputs alone and still answers the good ones', async () => {
    const nan = new Float32Array(itemFloats).fill(0.5);
    nan[17] = Number.NaN;
    const inputs = [
      { image: house },
      { image: Buffer.from('definitely not an image').toString('base64') },
      { tensor: tensorBase64(new Float32Array(10)), shape: [224, 224, 3] },
      { tensor: tensorBase64(nan), shape: [1, 224, 224, 3] },
      { tensor: tensorBase64(new Float32Array(itemFloats)), shape: [3, 224, 224] },
      { image: '***not base64***' },
      { text: 'hello' },
      42,
      { tensor: tensorBase64(new Float32Array(itemFloats).fill(0.25)), shape: [224, 224, 3] },
    ];
    const result = await fn.handler({ model: 'mobilenetv2', inputs, processes: 2 });
    expect(result.outputs).toHaveLength(inputs.length);
    expect(result.outputs.map(errorCode)).toEqual([
      undefined,
      'IMAGE_DECODE_FAILED',
      'TENSOR_SHAPE_MISMATCH',
      'TENSOR_NOT_FINITE',
      'TENSOR_SHAPE_MISMATCH',
      'INVALID_INPUT',
      'INVALID_INPUT',
      'INVALID_INPUT',
      undefined,
    ]);
    const [alone] = outputsOf(await fn.handler({ model: 'mobilenetv2', inputs: [{ image: house }] }));
    expectClose(result.outputs[0] as ItemOutput, alone!);
  });

  it('rejects a malformed event as a whole with a stable code', async () => {
    await expect(fn.handler({ model: 'resnet-9000', inputs: [] })).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' });
    await expect(fn.handler({ model: 'mobilenetv2' })).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    await expect(fn.handler({ model: 'mobilenetv2', inputs: [], processes: 9 })).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    await expect(fn.handler('{"model": "mobilenetv2"}')).rejects.toMatchObject({ code: 'INVALID_EVENT' });
  });

  it('answers an empty batch with no outputs', async () => {
    const result = await fn.handler({ model: 'mobilenetv2', inputs: [] });
    expect(result.outputs).toEqual([]);
  });

  it('replaces a killed worker and fails only the items it held', async () => {
    await fn.handler({ model: 'mobilenetv2', inputs: [{ image: house }, { image: dunes }], processes: 2 });
    const [victim, survivor] = fn.workerPids('mobilenetv2');
    // Sixteen items per worker keep it busy long enough for the kill to land mid-batch.
    const inputs = Array.from({ length: 32 }, (_, i) => ({ image: i % 2 ? house : dunes }));
    const pending = fn.handler({ model: 'mobilenetv2', inputs, processes: 2 });
    setTimeout(() => process.kill(victim!, 'SIGKILL'), 30);
    const result = await pending;
    expect(result.outputs).toHaveLength(32);
    const codes = result.outputs.map(errorCode);
    expect(codes.slice(0, 16).every((code) => code === 'WORKER_CRASHED')).toBe(true);
    expect(codes.slice(16).every((code) => code === undefined)).toBe(true);

    const after = await fn.handler({ model: 'mobilenetv2', inputs: [{ image: house }, { image: dunes }], processes: 2 });
    expect(after.outputs.map(errorCode)).toEqual([undefined, undefined]);
    const pids = fn.workerPids('mobilenetv2');
    expect(pids).toContain(survivor);
    expect(pids).not.toContain(victim);
  });

  it('replaces a worker killed while it loads its model, and still runs the batch (issue 12: it failed WORKER_START_FAILED)', async () => {
    await fn.handler({ model: 'mobilenetv2', inputs: [], processes: 2 });
    const before = fn.workerPids('mobilenetv2');
    const pending = fn.handler({ model: 'mobilenetv2', inputs: [{ image: house }, { image: dunes }, { image: house }], processes: 3 });
    let victim: number | undefined;
    for (let i = 0; i < 5000 && victim === undefined; i++) {
      victim = fn.workerPids('mobilenetv2').find((pid) => !before.includes(pid));
      if (victim === undefined) await new Promise((resolve) => setImmediate(resolve));
    }
    process.kill(victim!, 'SIGKILL');
    const result = await pending;
    expect(result.outputs.map(errorCode)).toEqual([undefined, undefined, undefined]);
    expect(fn.workerPids('mobilenetv2')).toHaveLength(3);
    expect(fn.workerPids('mobilenetv2')).not.toContain(victim);
  });

  it('serves the PaddleOCR orientation classifier on the text samples', async () => {
    const result = await fn.handler({
      model: 'ocr-cls',
      inputs: [{ image: sampleBase64('text-upright.png') }, { image: sampleBase64('text-upside-down.webp') }],
    });
    const [upright, flipped] = outputsOf(result);
    expect(upright!.top[0]!.label).toBe('0');
    expect(flipped!.top[0]!.label).toBe('180');
  });
});
