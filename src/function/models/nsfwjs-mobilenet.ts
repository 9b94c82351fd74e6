// The nsfwjs MobileNetV2 classifier as a verified, cached ONNX file.
// nsfwjs ships its model only as tfjs artefacts (UMD-wrapped model.json + base64 weights), so we
// convert it with our own converter and refuse to hand out a file that does not reproduce the
// outputs tfjs itself produced (models/mobilenetv2.reference.json, made by
// scripts/make-mobilenet-reference.ts).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { FerryError } from '../../core/errors.js';
import { mobilenetV2Labels } from '../../models/catalog.js';

export { mobilenetV2Labels };
import { CONVERTER_VERSION, convertLayersModel, type LayersModelTopology } from './tfjs-to-onnx.js';
import { decodeTfjsWeights, type TfjsWeightsGroup } from './tfjs-weights.js';

export const MOBILENET_V2_INPUT_SIZE = 224;
export const MOBILENET_V2_INPUT_NAME = 'input';
export const MOBILENET_V2_OUTPUT_NAME = 'probabilities';

export interface NsfwjsMobilenetV2 {
  nsfwjsVersion: string;
  modelTopology: LayersModelTopology;
  weightsManifest: TfjsWeightsGroup[];
  /** All shards concatenated in manifest order (one shard for this model). */
  weightData: Uint8Array;
}

export interface MobilenetReference {
  source: string;
  generatedBy: string;
  tfjsVersion: string;
  nsfwjsVersion: string;
  /** mobilenetV2ModelSha256 of the model these outputs are for. */
  modelSha256: string;
  inputs: { index: number; output: number[] }[];
}

/** nsfwjs's "exports" hides package.json and dist/models, so find the package root from its main entry. */
function nsfwjsRoot(): string {
  const require = createRequire(import.meta.url);
  for (let dir = dirname(require.resolve('nsfwjs')); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nsfwjs') return dir;
  }
  throw new Error('nsfwjs: cannot locate the package root');
}

type ModelFiles = Omit<NsfwjsMobilenetV2, 'weightData'> & { dir: string };

/** model.json part only: enough to compute the cache key without decoding the weight shards. */
function loadModelFiles(): ModelFiles {
  const root = nsfwjsRoot();
  const dir = join(root, 'dist', 'models', 'mobilenet_v2');
  const model = createRequire(import.meta.url)(join(dir, 'model.min.js')) as { modelTopology: LayersModelTopology; weightsManifest: TfjsWeightsGroup[] };
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { dir, nsfwjsVersion: version, modelTopology: model.modelTopology, weightsManifest: model.weightsManifest };
}

function withWeights({ dir, ...files }: ModelFiles): NsfwjsMobilenetV2 {
  const require = createRequire(import.meta.url);
  // Each shard is a UMD module whose export is the base64 of the shard's bytes.
  const shards = files.weightsManifest.flatMap((group) => group.paths)
    .map((p) => Buffer.from(require(join(dir, `${p}.min.js`)) as string, 'base64'));
  return { ...files, weightData: new Uint8Array(Buffer.concat(shards)) };
}

/** Reads the tfjs artefacts shipped in node_modules/nsfwjs/dist/models/mobilenet_v2. */
export function loadNsfwjsMobilenetV2(): NsfwjsMobilenetV2 {
  return withWeights(loadModelFiles());
}

/**
 * Deterministic, image-like NHWC input in [0, 1] (no randomness, so reference outputs are
 * reproducible): a lit background gradient, a few soft coloured blobs and some texture, with
 * all parameters derived from `index` so different indices give clearly different pictures.
 */
export function referenceInput(index: number): Float32Array {
  const S = MOBILENET_V2_INPUT_SIZE;
  const frac = (k: number): number => (((index + 1) * 0.6180339887 * k + 0.1 * k) % 1 + 1) % 1;
  const base = [frac(1), frac(2), frac(3)];
  const blobs = [0, 1, 2].map((b) => ({
    cx: 0.2 + 0.6 * frac(4 + b), cy: 0.2 + 0.6 * frac(7 + b), r: 0.12 + 0.2 * frac(10 + b),
    rgb: [frac(13 + b), frac(16 + b), frac(19 + b)],
  }));
  const freq = 3 + 9 * frac(22);
  const angle = Math.PI * frac(23);
  const out = new Float32Array(S * S * 3);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const u = x / (S - 1);
      const v = y / (S - 1);
      const light = 0.55 + 0.45 * (1 - v) * (0.6 + 0.4 * u);
      const texture = 0.08 * Math.sin(2 * Math.PI * freq * (u * Math.cos(angle) + v * Math.sin(angle)));
      for (let ch = 0; ch < 3; ch++) {
        let value = base[ch]! * light;
        for (const blob of blobs) {
          const d2 = ((u - blob.cx) ** 2 + (v - blob.cy) ** 2) / (blob.r * blob.r);
          const w = Math.exp(-2 * d2 * d2); // flat-topped blob with soft edges
          value = value * (1 - w) + blob.rgb[ch]! * w;
        }
        out[(y * S + x) * 3 + ch] = Math.min(1, Math.max(0, value + texture));
      }
    }
  }
  return out;
}

/** Runs the ONNX model on a batch of NHWC images and returns one probability row per image. */
export async function runMobilenetV2Onnx(model: Uint8Array | string, images: Float32Array[]): Promise<number[][]> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const S = MOBILENET_V2_INPUT_SIZE;
    const batch = new Float32Array(images.length * S * S * 3);
    images.forEach((img, i) => batch.set(img, i * S * S * 3));
    const result = await session.run({ [MOBILENET_V2_INPUT_NAME]: new ort.Tensor('float32', batch, [images.length, S, S, 3]) });
    const data = result[MOBILENET_V2_OUTPUT_NAME]!.data as Float32Array;
    const k = mobilenetV2Labels.length;
    return images.map((_, i) => Array.from(data.subarray(i * k, (i + 1) * k)));
  } finally {
    await session.release();
  }
}

const argmax = (xs: readonly number[]): number => xs.reduce((best, v, i) => (v > xs[best]! ? i : best), 0);

/** Max abs diff and argmax agreement against a reference; throws FerryError MODEL_VERIFICATION_FAILED. */
export async function verifyMobilenetV2Onnx(
  model: Uint8Array | string,
  reference: Pick<MobilenetReference, 'inputs'>,
  tolerance = 1e-4,
): Promise<{ maxAbsDiff: number }> {
  if (reference.inputs.length === 0) throw new FerryError('MODEL_VERIFICATION_FAILED', 'reference has no inputs');
  const actual = await runMobilenetV2Onnx(model, reference.inputs.map((r) => referenceInput(r.index)));
  let maxAbsDiff = 0;
  reference.inputs.forEach((ref, i) => {
    const got = actual[i]!;
    if (ref.output.length !== got.length) {
      throw new FerryError('MODEL_VERIFICATION_FAILED', `input ${ref.index}: expected ${ref.output.length} outputs, got ${got.length}`);
    }
    const diff = Math.max(...got.map((v, j) => Math.abs(v - ref.output[j]!)));
    maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(diff) ? Infinity : diff);
    if (!(diff <= tolerance) || argmax(got) !== argmax(ref.output)) {
      throw new FerryError('MODEL_VERIFICATION_FAILED', `input ${ref.index}: max abs diff ${diff} (tolerance ${tolerance}), ` +
          `argmax ${argmax(got)} vs reference ${argmax(ref.output)}; got [${got.join(', ')}], expected [${ref.output.join(', ')}]`,
      );
    }
  });
  return { maxAbsDiff };
}

/** Read lazily (not imported) so scripts/make-mobilenet-reference.ts can run before it exists. */
export async function loadMobilenetReference(): Promise<MobilenetReference> {
  return JSON.parse(await readFile(new URL('../../../models/mobilenetv2.reference.json', import.meta.url), 'utf8')) as MobilenetReference;
}

/**
 * What the model is, whatever nsfwjs release ships it: the digest of its topology, weight
 * manifest and weights. nsfwjs 4.3.0 and 4.4.0 ship the same files, for one.
 */
export function mobilenetV2ModelSha256(src: Pick<NsfwjsMobilenetV2, 'modelTopology' | 'weightsManifest' | 'weightData'>): string {
  return createHash('sha256').update(JSON.stringify([src.modelTopology, src.weightsManifest])).update(src.weightData).digest('hex');
}

/** Short content key: a new nsfwjs release or converter change yields a new file name. */
export function mobilenetV2CacheKey(src: Pick<NsfwjsMobilenetV2, 'nsfwjsVersion' | 'modelTopology' | 'weightsManifest'>): string {
  return createHash('sha256')
    .update(JSON.stringify([src.nsfwjsVersion, CONVERTER_VERSION, src.weightsManifest, src.modelTopology]))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Path of a verified ONNX conversion of nsfwjs's MobileNetV2 in `cacheDir`, converting on first use.
 * Only verified bytes are ever renamed into place, and the rename is atomic, so a concurrent
 * process sees either no file or the whole file (both writers produce identical bytes).
 */
export async function ensureMobilenetV2Onnx(cacheDir: string): Promise<string> {
  const files = loadModelFiles();
  const target = join(cacheDir, `mobilenetv2-${mobilenetV2CacheKey(files)}.onnx`);
  if (existsSync(target)) return target;
  const src = withWeights(files);

  const reference = await loadMobilenetReference();
  // The reference is for a model, not a release: a release with the same files passes.
  const modelSha256 = mobilenetV2ModelSha256(src);
  if (reference.modelSha256 !== modelSha256) {
    throw new FerryError('MODEL_VERIFICATION_FAILED', `Expected the MobileNetV2 the reference outputs are for (nsfwjs ${reference.nsfwjsVersion}, ` +
        `sha256 ${reference.modelSha256}), got sha256 ${modelSha256} from nsfwjs ${src.nsfwjsVersion}; rerun \`npx tsx scripts/make-mobilenet-reference.ts\``,
    );
  }
  const bytes = convertLayersModel(src.modelTopology, decodeTfjsWeights(src.weightsManifest, src.weightData), {
    inputName: MOBILENET_V2_INPUT_NAME,
    outputName: MOBILENET_V2_OUTPUT_NAME,
    producer: `ferry tfjs-to-onnx (nsfwjs@${src.nsfwjsVersion} mobilenet_v2)`,
  });
  await verifyMobilenetV2Onnx(bytes, reference);

  await mkdir(cacheDir, { recursive: true });
  const tmp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync(); // the rename must not become visible before the data is durable
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return target;
}
