// Decodes the binary weights of a tfjs model (model.json "weightsManifest" + the shard bytes)
// into plain Float32Arrays, bit-for-bit like tfjs's own io.decodeWeights, so that a converted
// model sees exactly the numbers tfjs computes with. Pure: no I/O.

export interface TfjsQuantization {
  dtype: string;
  min?: number;
  scale?: number;
}

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: TfjsQuantization;
}

export interface TfjsWeightsGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

export interface DecodedWeight {
  shape: number[];
  data: Float32Array;
}

/** All weight specs in byte order: groups in manifest order, weights in group order (as tfjs). */
export function weightSpecsOf(manifest: readonly TfjsWeightsGroup[]): TfjsWeightSpec[] {
  return manifest.flatMap((group) => group.weights);
}

/**
 * `data` is the concatenation of every shard of every group, in manifest order (what tfjs hands
 * to decodeWeights as `weightData`). Throws on unsupported dtypes, duplicate names, and on a
 * byte-length mismatch, since any of those means the numbers would silently be wrong.
 */
export function decodeTfjsWeights(
  manifest: readonly TfjsWeightsGroup[],
  data: Uint8Array,
): Map<string, DecodedWeight> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Map<string, DecodedWeight>();
  let offset = 0;
  for (const spec of weightSpecsOf(manifest)) {
    if (out.has(spec.name)) throw new Error(`tfjs weights: duplicate weight name '${spec.name}'`);
    if (spec.dtype !== 'float32') {
      throw new Error(`tfjs weights: weight '${spec.name}' has dtype '${spec.dtype}'; only float32 is supported`);
    }
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    const bytesPer = q === undefined ? 4 : q.dtype === 'uint8' ? 1 : q.dtype === 'uint16' ? 2 : 0;
    if (bytesPer === 0) {
      throw new Error(
        `tfjs weights: weight '${spec.name}' uses quantization dtype '${q?.dtype}'; only uint8, uint16 and unquantized float32 are supported`,
      );
    }
    if (offset + size * bytesPer > data.byteLength) {
      throw new Error(`tfjs weights: data ends inside weight '${spec.name}' (need ${offset + size * bytesPer} bytes, have ${data.byteLength})`);
    }
    const values = new Float32Array(size);
    if (q === undefined) {
      for (let i = 0; i < size; i++) values[i] = view.getFloat32(offset + i * 4, true);
    } else {
      if (typeof q.min !== 'number' || typeof q.scale !== 'number') {
        throw new Error(`tfjs weights: quantized weight '${spec.name}' lacks numeric min/scale`);
      }
      // Same expression and evaluation order as tfjs (double arithmetic, rounded once to float32).
      for (let i = 0; i < size; i++) {
        const v = bytesPer === 1 ? view.getUint8(offset + i) : view.getUint16(offset + i * 2, true);
        values[i] = v * q.scale + q.min;
      }
    }
    out.set(spec.name, { shape: [...spec.shape], data: values });
    offset += size * bytesPer;
  }
  if (offset !== data.byteLength) {
    throw new Error(`tfjs weights: manifest describes ${offset} bytes but ${data.byteLength} were given`);
  }
  return out;
}
