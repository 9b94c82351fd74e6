import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureMobilenetV2Onnx, loadMobilenetReference, loadNsfwjsMobilenetV2, MOBILENET_V2_INPUT_SIZE as S,
  mobilenetV2ModelSha256, referenceInput, runMobilenetV2Onnx, verifyMobilenetV2Onnx,
} from './nsfwjs-mobilenet.js';
import { convertLayersModel, type LayersModelTopology } from './tfjs-to-onnx.js';
import { decodeTfjsWeights, weightSpecsOf, type TfjsWeightsGroup } from './tfjs-weights.js';

const maxAbsDiff = (a: number[], b: number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
const argmax = (xs: number[]): number => xs.indexOf(Math.max(...xs));

function rows(data: Float32Array | number[], width: number): number[][] {
  return Array.from({ length: data.length / width }, (_, i) => Array.from(data.slice(i * width, (i + 1) * width)));
}

/** tfjs IOHandler that hands tfjs the same in-memory artefacts the converter gets. */
function memoryHandler(topology: LayersModelTopology, manifest: TfjsWeightsGroup[], data: Uint8Array): tf.io.IOHandler {
  return {
    load: async () => ({
      modelTopology: topology as object,
      weightSpecs: weightSpecsOf(manifest) as tf.io.WeightsManifestEntry[],
      weightData: data.slice().buffer,
    }),
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('nsfwjs MobileNetV2 converted to ONNX', () => {
  // Fresh inputs (3, 4), not the ones the stored reference was made from (0..2).
  const images = [referenceInput(3), referenceInput(4)];
  let onnxBytes: Uint8Array;
  let tfjsRows: number[][];
  const tmpDirs: string[] = [];

  // tfjs CPU MobileNetV2 costs ~1.5 s per image, so run it once for all tests.
  beforeAll(async () => {
    const src = loadNsfwjsMobilenetV2();
    onnxBytes = convertLayersModel(src.modelTopology, decodeTfjsWeights(src.weightsManifest, src.weightData));
    const model = await tf.loadLayersModel(memoryHandler(src.modelTopology, src.weightsManifest, src.weightData));
    const batch = new Float32Array(2 * S * S * 3);
    images.forEach((img, i) => batch.set(img, i * S * S * 3));
    const x = tf.tensor4d(batch, [2, S, S, 3]);
    const y = model.predict(x) as tf.Tensor;
    tfjsRows = rows(await y.data<'float32'>(), 5);
    tf.dispose([x, y]);
    model.dispose();
  });

  afterAll(async () => {
    await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('agrees with live tfjs for a batch of 2 and a batch of 1', async () => {
    const batched = await runMobilenetV2Onnx(onnxBytes, images);
    const single = await runMobilenetV2Onnx(onnxBytes, [images[1]!]);
    for (const [got, want] of [[batched[0]!, tfjsRows[0]!], [batched[1]!, tfjsRows[1]!], [single[0]!, tfjsRows[1]!]] as const) {
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-4);
      expect(argmax(got)).toBe(argmax(want));
      expect(got.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    // The two inputs must not collapse to the same prediction, or the comparison proves little.
    expect(maxAbsDiff(tfjsRows[0]!, tfjsRows[1]!)).toBeGreaterThan(0.01);
  });

  it('matches the stored tfjs reference outputs', async () => {
    const { maxAbsDiff: diff } = await verifyMobilenetV2Onnx(onnxBytes, await loadMobilenetReference());
    expect(diff).toBeLessThanOrEqual(1e-4);
  });

  it('has a stored reference for the installed model, told apart by its weights, not its release', async () => {
    const src = loadNsfwjsMobilenetV2();
    expect(mobilenetV2ModelSha256(src)).toBe((await loadMobilenetReference()).modelSha256);
    const flipped = src.weightData.slice();
    flipped[1000] = flipped[1000]! ^ 1;
    expect(mobilenetV2ModelSha256({ ...src, weightData: flipped })).not.toBe(mobilenetV2ModelSha256(src));
  });

  it('rejects a model whose outputs do not match the reference', async () => {
    const reference = await loadMobilenetReference();
    const first = reference.inputs[0]!;
    const nudged = first.output.map((v, i) => (i === 0 ? v + 1e-3 : v));
    await expect(verifyMobilenetV2Onnx(onnxBytes, { inputs: [{ index: first.index, output: nudged }] }))
      .rejects.toMatchObject({ code: 'MODEL_VERIFICATION_FAILED', message: expect.stringMatching(/max abs diff/) });
    await expect(verifyMobilenetV2Onnx(onnxBytes, { inputs: [{ index: first.index, output: [0.2, 0.2, 0.2, 0.2, 0.2] }] }))
      .rejects.toMatchObject({ code: 'MODEL_VERIFICATION_FAILED' });
  });

  it('ensureMobilenetV2Onnx converts once, then reuses the cached file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ferry-mnv2-'));
    tmpDirs.push(root);
    const cacheDir = join(root, 'nested', 'cache');
    const first = await ensureMobilenetV2Onnx(cacheDir);
    expect(first).toMatch(/mobilenetv2-[0-9a-f]{16}\.onnx$/);
    const before = await stat(first);
    expect(before.size).toBeGreaterThan(1_000_000);
    const second = await ensureMobilenetV2Onnx(cacheDir);
    expect(second).toBe(first);
    const after = await stat(second);
    // A re-conversion would rename a fresh temp file into place: new inode and mtime.
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(await readdir(cacheDir)).toEqual([first.split('/').pop()]); // no temp leftovers
    const [row] = await runMobilenetV2Onnx(first, [images[0]!]);
    expect(maxAbsDiff(row!, tfjsRows[0]!)).toBeLessThanOrEqual(1e-4);
  });
});

describe('convertLayersModel on a small synthetic model', () => {
  // Exercises what MobileNetV2 does not: odd sizes with 'same' + stride 2, a depth multiplier,
  // biases, spatial Flatten (> 1x1), 'same' average pooling, plain float32 weights.
  it('matches tfjs', async () => {
    const input = tf.input({ shape: [9, 7, 3], name: 'img' });
    const layer = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor => l.apply(x) as tf.SymbolicTensor;
    let x = layer(tf.layers.zeroPadding2d({ padding: [[1, 0], [0, 2]], name: 'pad' }), input);
    x = layer(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv' }), x);
    const branch = layer(tf.layers.conv2d({ filters: 8, kernelSize: 1, padding: 'valid', useBias: false, name: 'proj' }), x);
    x = layer(tf.layers.depthwiseConv2d({ kernelSize: [3, 2], depthMultiplier: 2, strides: 1, padding: 'same', name: 'dw' }), x);
    x = layer(tf.layers.batchNormalization({ epsilon: 1e-3, center: false, name: 'bn' }), x);
    x = layer(tf.layers.reLU({ maxValue: 6, name: 'relu6' }), x);
    x = layer(tf.layers.add({ name: 'add' }), [x, branch]);
    x = layer(tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'pool' }), x);
    x = layer(tf.layers.flatten({ name: 'flat' }), x);
    x = layer(tf.layers.dense({ units: 6, activation: 'sigmoid', name: 'fc1' }), x);
    x = layer(tf.layers.dropout({ rate: 0.5, name: 'drop' }), x);
    x = layer(tf.layers.dense({ units: 3, activation: 'softmax', name: 'fc2' }), x);
    const model = tf.model({ inputs: input, outputs: x });
    // Deterministic, non-trivial weights (variances kept positive).
    let seed = 1;
    for (const l of model.layers) {
      l.setWeights(l.getWeights().map((w, k) => {
        const values = Array.from({ length: w.size }, () => Math.sin(seed++ * 1.7));
        return tf.tensor(l.weights[k]!.name.includes('variance') ? values.map((v) => 0.5 + Math.abs(v)) : values, w.shape);
      }));
    }
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const weightData = artifacts!.weightData!;
    const bytes = new Uint8Array(Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData);
    const manifest: TfjsWeightsGroup[] = [{ paths: ['inline'], weights: artifacts!.weightSpecs as TfjsWeightsGroup['weights'] }];
    const onnxBytes = convertLayersModel(artifacts!.modelTopology as LayersModelTopology, decodeTfjsWeights(manifest, bytes), { outputName: 'out' });

    const data = Float32Array.from({ length: 2 * 9 * 7 * 3 }, (_, i) => 0.5 + 0.5 * Math.sin(i * 0.37));
    const xt = tf.tensor4d(data, [2, 9, 7, 3]);
    const yt = model.predict(xt) as tf.Tensor;
    const want = rows(await yt.data<'float32'>(), 3);
    tf.dispose([xt, yt]);
    const session = await ort.InferenceSession.create(onnxBytes);
    const result = await session.run({ input: new ort.Tensor('float32', data, [2, 9, 7, 3]) });
    await session.release();
    const got = rows(result.out!.data as Float32Array, 3);
    expect(got).toHaveLength(2);
    got.forEach((row, i) => expect(maxAbsDiff(row, want[i]!)).toBeLessThanOrEqual(1e-5));
    expect(maxAbsDiff(want[0]!, want[1]!)).toBeGreaterThan(1e-3);
  });

  it('matches tfjs with unknown spatial dims (auto_pad) and a rank-4 NHWC output', async () => {
    const input = tf.input({ shape: [null, null, 2], name: 'img' });
    const conv = tf.layers.conv2d({ filters: 3, kernelSize: 4, strides: 3, padding: 'same', name: 'conv' });
    const pool = tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'pool' });
    const model = tf.model({ inputs: input, outputs: pool.apply(conv.apply(input)) as tf.SymbolicTensor });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const manifest: TfjsWeightsGroup[] = [{ paths: ['inline'], weights: artifacts!.weightSpecs as TfjsWeightsGroup['weights'] }];
    const weightData = artifacts!.weightData!;
    const bytes = new Uint8Array(Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData);
    const onnxBytes = convertLayersModel(artifacts!.modelTopology as LayersModelTopology, decodeTfjsWeights(manifest, bytes));
    const session = await ort.InferenceSession.create(onnxBytes);
    for (const [h, w] of [[11, 8], [7, 13]] as const) {
      const data = Float32Array.from({ length: h * w * 2 }, (_, i) => Math.cos(i * 0.91));
      const xt = tf.tensor4d(data, [1, h, w, 2]);
      const yt = model.predict(xt) as tf.Tensor;
      const result = await session.run({ input: new ort.Tensor('float32', data, [1, h, w, 2]) });
      expect(result.probabilities!.dims).toEqual(yt.shape);
      expect(maxAbsDiff(Array.from(result.probabilities!.data as Float32Array), Array.from(await yt.data()))).toBeLessThanOrEqual(1e-5);
      tf.dispose([xt, yt]);
    }
    await session.release();
  });

  it('throws a clear error on an unsupported layer class', () => {
    const topology: LayersModelTopology = {
      class_name: 'Model',
      config: {
        layers: [
          { name: 'input_1', class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 4, 3], dtype: 'float32' }, inbound_nodes: [] },
          { name: 'lstm_1', class_name: 'LSTM', config: { units: 2 }, inbound_nodes: [[['input_1', 0, 0, {}]]] },
        ],
        input_layers: [['input_1', 0, 0]],
        output_layers: [['lstm_1', 0, 0]],
      },
    };
    expect(() => convertLayersModel(topology, new Map())).toThrow("tfjs-to-onnx: layer 'lstm_1' (LSTM): unsupported layer class 'LSTM'");
  });
});

describe('decodeTfjsWeights', () => {
  const manifest: TfjsWeightsGroup[] = [
    {
      paths: ['group1-shard1of1'],
      weights: [
        { name: 'a/kernel', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
        { name: 'a/bias', shape: [2], dtype: 'float32' },
      ],
    },
    { paths: ['group2-shard1of1'], weights: [{ name: 'b/gamma', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', min: 0.25, scale: 0.001 } }] },
  ];
  const bytes = (): Uint8Array => {
    const view = new DataView(new ArrayBuffer(4 + 8 + 4));
    [0, 1, 2, 255].forEach((q, i) => view.setUint8(i, q));
    view.setFloat32(4, 1.5, true);
    view.setFloat32(8, -2, true);
    view.setUint16(12, 1000, true);
    view.setUint16(14, 65535, true);
    return new Uint8Array(view.buffer);
  };

  it('dequantizes uint8 / uint16 and reads float32 across groups (q * scale + min)', () => {
    const w = decodeTfjsWeights(manifest, bytes());
    expect([...w.keys()]).toEqual(['a/kernel', 'a/bias', 'b/gamma']);
    expect(w.get('a/kernel')).toEqual({ shape: [2, 2], data: new Float32Array([-1, -0.5, 0, 126.5]) });
    expect(Array.from(w.get('a/bias')!.data)).toEqual([1.5, -2]);
    expect(w.get('b/gamma')!.data[0]).toBe(1.25);
    expect(w.get('b/gamma')!.data[1]).toBe(Math.fround(65.785));
  });

  it('rejects float16 quantization and byte-length mismatches', () => {
    const f16: TfjsWeightsGroup[] = [{ paths: ['x'], weights: [{ name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } }] }];
    expect(() => decodeTfjsWeights(f16, new Uint8Array(4))).toThrow(/'h'.*float16/);
    expect(() => decodeTfjsWeights(manifest, bytes().subarray(0, 15))).toThrow(/ends inside weight 'b\/gamma'/);
    expect(() => decodeTfjsWeights(manifest, new Uint8Array(17))).toThrow(/16 bytes but 17/);
  });
});
