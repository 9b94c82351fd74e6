// Converts a tfjs LayersModel (Keras functional topology + decoded weights) into ONNX bytes.
// Pure: no I/O. Covers the layer set of Keras MobileNetV2 classifiers (e.g. nsfwjs) and throws
// on anything else rather than emitting a graph that silently computes something different.
//
// Layout: Keras is channels-last, ONNX Conv/Pool are channels-first. The graph keeps the Keras
// NHWC input, transposes once to NCHW, and transposes back to NHWC only where the layout becomes
// observable (Flatten, or a rank-4 graph output), so Flatten's element order matches Keras.
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import type { DecodedWeight } from './tfjs-weights.js';

// onnx-proto is CommonJS whose namespace export is invisible to ESM named imports.
const { onnx } = onnxProto;

/** Bump whenever the emitted graph changes, so cached conversions are redone. */
export const CONVERTER_VERSION = '1';

type Json = Record<string, unknown>;
export interface KerasLayer { name: string; class_name: string; config: Json; inbound_nodes: unknown[] }
export interface KerasModelConfig {
  class_name: string;
  config: { name?: string; layers: KerasLayer[]; input_layers: unknown[]; output_layers: unknown[] };
}
/** tfjs model.json "modelTopology": Keras' `{ model_config }` wrapper, or the bare model config. */
export type LayersModelTopology = { model_config: KerasModelConfig } | KerasModelConfig;
export interface ConvertOptions { inputName?: string; outputName?: string; opset?: number; producer?: string }

/** A Keras tensor as it exists in the ONNX graph. `shape` is the Keras (NHWC) shape without the
 * batch dim; a rank-3 shape therefore means the ONNX tensor is rank-4 NCHW. */
interface Value { name: string; shape: (number | null)[] }

const attr = {
  int: (name: string, i: number): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i }),
  ints: (name: string, ints: number[]): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints }),
  float: (name: string, f: number): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f }),
  str: (name: string, s: string): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(s) }),
};

function get<T>(c: Json, key: string, check: (v: unknown) => boolean, what: string, dflt?: T): T {
  const v = c[key] ?? dflt;
  if (v === undefined || !check(v)) throw new Error(`config '${key}' must be ${what}, got ${JSON.stringify(c[key])}`);
  return v as T;
}
const isInt = (v: unknown): boolean => Number.isInteger(v);
const num = (c: Json, k: string, d?: number): number => get(c, k, (v) => typeof v === 'number', 'a number', d);
const str = (c: Json, k: string, d?: string): string => get(c, k, (v) => typeof v === 'string', 'a string', d);
/** Keras allows `3` or `[3, 3]` for kernel sizes, strides, dilations. */
function pair(c: Json, k: string, d?: number | number[]): [number, number] {
  const v = get<number | number[]>(c, k, (x) => isInt(x) || (Array.isArray(x) && x.length === 2 && x.every(isInt)), 'an int or [int, int]', d);
  return typeof v === 'number' ? [v, v] : [v[0]!, v[1]!];
}

/** Row-major transpose of a dense tensor (for reordering kernels). */
function transpose(src: Float32Array, shape: number[], perm: number[]): Float32Array {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const outShape = perm.map((p) => shape[p]!);
  const out = new Float32Array(src.length);
  const idx = outShape.map(() => 0);
  for (let o = 0; o < out.length; o++) {
    let s = 0;
    for (let d = 0; d < perm.length; d++) s += idx[d]! * strides[perm[d]!]!;
    out[o] = src[s]!;
    for (let d = outShape.length - 1; d >= 0 && ++idx[d]! === outShape[d]; d--) idx[d] = 0;
  }
  return out;
}

/** TF output size and padding along one spatial dim. TF 'same' pads the odd extra pixel at the
 * end (= ONNX SAME_UPPER); explicit pads need a static size, else we fall back to auto_pad. */
function window1d(size: number | null, k: number, s: number, d: number, padding: string) {
  const eff = (k - 1) * d + 1;
  if (padding === 'valid') return { out: size === null ? null : Math.floor((size - eff) / s) + 1, pads: [0, 0] as number[] | null };
  if (padding !== 'same') throw new Error(`unsupported padding '${padding}'`);
  if (size === null) return { out: null, pads: null };
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + eff - size, 0);
  return { out, pads: [Math.floor(total / 2), total - Math.floor(total / 2)] as number[] | null };
}

class GraphBuilder {
  readonly nodes: Onnx.INodeProto[] = [];
  readonly inits: Onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();
  constructor(private readonly weights: ReadonlyMap<string, DecodedWeight>) {}

  /** ONNX requires graph-wide unique names; Keras names are unique, our suffixes might not be. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
  node(op: string, inputs: string[], attrs: Onnx.IAttributeProto[], out: string): string {
    const output = this.unique(out);
    this.nodes.push({ opType: op, name: output, input: inputs, output: [output], attribute: attrs });
    return output;
  }
  /** Little-endian raw bytes, as ONNX specifies, independent of host byte order. */
  floats(base: string, dims: number[], data: Float32Array): string {
    const view = new DataView(new ArrayBuffer(data.length * 4));
    data.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.tensor(base, dims, onnx.TensorProto.DataType.FLOAT, new Uint8Array(view.buffer));
  }
  int64s(base: string, data: number[]): string {
    const view = new DataView(new ArrayBuffer(data.length * 8));
    data.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    return this.tensor(base, [data.length], onnx.TensorProto.DataType.INT64, new Uint8Array(view.buffer));
  }
  private tensor(base: string, dims: number[], dataType: number, rawData: Uint8Array): string {
    const name = this.unique(base);
    this.inits.push({ name, dims, dataType, rawData });
    return name;
  }
  weight(layer: string, w: string, shape?: (number | undefined)[]): DecodedWeight {
    const found = this.weights.get(`${layer}/${w}`);
    if (!found) throw new Error(`missing weight '${layer}/${w}'`);
    if (shape && (found.shape.length !== shape.length || shape.some((d, i) => d !== undefined && d !== found.shape[i]))) {
      throw new Error(`weight '${layer}/${w}' has shape [${found.shape}], expected [${shape.map((d) => d ?? '?')}]`);
    }
    return found;
  }
}

function activation(g: GraphBuilder, layer: string, x: Value, act: string): Value {
  // Keras activations act on the last (channel) axis, which is axis 1 in both NCHW and [N, F].
  const op = (type: string, inputs: string[] = [x.name], attrs: Onnx.IAttributeProto[] = []): Value =>
    ({ name: g.node(type, inputs, attrs, `${layer}/${act}`), shape: x.shape });
  switch (act) {
    case 'linear': return x;
    case 'relu': return op('Relu');
    case 'relu6': return op('Clip', [x.name, g.floats('const/0', [], new Float32Array([0])), g.floats('const/6', [], new Float32Array([6]))]);
    case 'sigmoid': return op('Sigmoid');
    case 'tanh': return op('Tanh');
    case 'softmax': return op('Softmax', [x.name], [attr.int('axis', 1)]);
    default: throw new Error(`unsupported activation '${act}'`);
  }
}

/** Conv/pool attributes (pads or auto_pad, strides, dilations) and the NHWC output size. */
function spatial(x: Value, kernel: [number, number], strides: [number, number], dil: [number, number], padding: string) {
  if (x.shape.length !== 3) throw new Error(`expects a rank-4 input, got rank ${x.shape.length + 1}`);
  const h = window1d(x.shape[0]!, kernel[0], strides[0], dil[0], padding);
  const w = window1d(x.shape[1]!, kernel[1], strides[1], dil[1], padding);
  const pads = h.pads && w.pads ? attr.ints('pads', [h.pads[0]!, w.pads[0]!, h.pads[1]!, w.pads[1]!]) : attr.str('auto_pad', 'SAME_UPPER');
  return { attrs: [pads, attr.ints('strides', strides), attr.ints('kernel_shape', kernel)], hw: [h.out, w.out] };
}

function conv(g: GraphBuilder, layer: KerasLayer, x: Value): Value {
  const c = layer.config;
  const depthwise = layer.class_name === 'DepthwiseConv2D';
  const k = g.weight(layer.name, depthwise ? 'depthwise_kernel' : 'kernel', [undefined, undefined, undefined, undefined]);
  const [kh, kw, kin, kout] = k.shape as [number, number, number, number];
  const channels = x.shape[2];
  // Keras kernels: Conv2D [kh, kw, in/groups, out]; DepthwiseConv2D [kh, kw, in, mult] whose output
  // channel c*mult+m equals ONNX grouped conv (group = in) with W [in*mult, 1, kh, kw].
  const group = depthwise ? kin : num(c, 'groups', 1);
  const outC = depthwise ? kin * kout : kout;
  if (channels !== null && channels !== kin * (depthwise ? 1 : group)) throw new Error(`kernel expects ${kin} input channels, input has ${channels}`);
  const W = depthwise ? transpose(k.data, k.shape, [2, 3, 0, 1]) : transpose(k.data, k.shape, [3, 2, 0, 1]);
  const dil = pair(c, 'dilation_rate', 1);
  const sp = spatial(x, [kh, kw], pair(c, 'strides', 1), dil, str(c, 'padding'));
  const inputs = [x.name, g.floats(`${layer.name}/W`, [outC, depthwise ? 1 : kin, kh, kw], W)];
  if (get<boolean>(c, 'use_bias', (v) => typeof v === 'boolean', 'a boolean', true)) {
    inputs.push(g.floats(`${layer.name}/B`, [outC], g.weight(layer.name, 'bias', [outC]).data));
  }
  const y = g.node('Conv', inputs, [...sp.attrs, attr.ints('dilations', dil), attr.int('group', group)], layer.name);
  return activation(g, layer.name, { name: y, shape: [...sp.hw, outC] }, str(c, 'activation', 'linear'));
}

function batchNorm(g: GraphBuilder, layer: KerasLayer, x: Value): Value {
  const c = layer.config;
  const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : c.axis ?? -1;
  // Only the channel axis maps onto ONNX BatchNormalization (axis 1 after our NCHW transpose).
  if (axis !== -1 && axis !== x.shape.length) throw new Error(`only channel-axis normalization is supported, got axis ${JSON.stringify(c.axis)}`);
  const C = x.shape.at(-1);
  if (C === null || C === undefined) throw new Error('needs a known channel count');
  const param = (w: string, flag: string, fill: number): string => g.floats(`${layer.name}/${w}`, [C],
    flag && c[flag] === false ? new Float32Array(C).fill(fill) : g.weight(layer.name, w, [C]).data);
  const inputs = [param('gamma', 'scale', 1), param('beta', 'center', 0), param('moving_mean', '', 0), param('moving_variance', '', 1)];
  const y = g.node('BatchNormalization', [x.name, ...inputs], [attr.float('epsilon', num(c, 'epsilon', 1e-3))], layer.name);
  return { name: y, shape: x.shape };
}

function dense(g: GraphBuilder, layer: KerasLayer, x: Value): Value {
  const c = layer.config;
  const units = num(c, 'units');
  if (x.shape.length !== 1) throw new Error(`Dense on rank-${x.shape.length + 1} input is not supported (Flatten first)`);
  const k = g.weight(layer.name, 'kernel', [x.shape[0] ?? undefined, units]);
  // Keras kernel is [in, units], exactly Gemm's B with transB = 0.
  const inputs = [x.name, g.floats(`${layer.name}/kernel`, k.shape, k.data)];
  if (c.use_bias !== false) inputs.push(g.floats(`${layer.name}/bias`, [units], g.weight(layer.name, 'bias', [units]).data));
  const y = g.node('Gemm', inputs, [], layer.name);
  return activation(g, layer.name, { name: y, shape: [units] }, str(c, 'activation', 'linear'));
}

function convertLayer(g: GraphBuilder, layer: KerasLayer, ins: Value[]): Value {
  const c = layer.config;
  const x = ins[0]!;
  if (layer.class_name !== 'Add' && ins.length !== 1) throw new Error(`expects one input, got ${ins.length}`);
  // Our NCHW bookkeeping (and Flatten's element order) assumes Keras tensors are channels-last.
  if (str(c, 'data_format', 'channels_last') !== 'channels_last') throw new Error('only data_format channels_last is supported');
  switch (layer.class_name) {
    case 'Conv2D':
    case 'DepthwiseConv2D': return conv(g, layer, x);
    case 'BatchNormalization': return batchNorm(g, layer, x);
    case 'Dense': return dense(g, layer, x);
    case 'Dropout': return x; // inference: identity
    case 'Activation': return activation(g, layer.name, x, str(c, 'activation'));
    case 'ReLU': {
      if (num(c, 'negative_slope', 0) !== 0 || num(c, 'threshold', 0) !== 0) throw new Error('ReLU with negative_slope/threshold is not supported');
      if (c.max_value === null || c.max_value === undefined) return { name: g.node('Relu', [x.name], [], layer.name), shape: x.shape };
      const lo = g.floats(`${layer.name}/min`, [], new Float32Array([0]));
      const hi = g.floats(`${layer.name}/max`, [], new Float32Array([num(c, 'max_value')]));
      return { name: g.node('Clip', [x.name, lo, hi], [], layer.name), shape: x.shape };
    }
    case 'ZeroPadding2D': {
      if (x.shape.length !== 3) throw new Error('expects a rank-4 input');
      const p = c.padding;
      const [[t, b], [l, r]] = (typeof p === 'number' ? [[p, p], [p, p]]
        : Array.isArray(p) && p.every(isInt) ? [[p[0], p[0]], [p[1], p[1]]] : p) as [[number, number], [number, number]];
      if (![t, b, l, r].every(isInt)) throw new Error(`bad padding ${JSON.stringify(p)}`);
      const y = g.node('Pad', [x.name, g.int64s(`${layer.name}/pads`, [0, 0, t, l, 0, 0, b, r])], [], layer.name);
      const [h, w, ch] = x.shape;
      return { name: y, shape: [h === null ? null : h! + t + b, w === null ? null : w! + l + r, ch!] };
    }
    case 'Add': {
      if (ins.length < 2 || ins.some((v) => JSON.stringify(v.shape) !== JSON.stringify(x.shape))) throw new Error('expects >= 2 inputs of equal shape');
      let acc = x.name;
      for (const v of ins.slice(1)) acc = g.node('Add', [acc, v.name], [], layer.name);
      return { name: acc, shape: x.shape };
    }
    case 'AveragePooling2D': {
      const pool = pair(c, 'pool_size', 2);
      // TF excludes padded cells from the mean, which is ONNX's default count_include_pad = 0.
      const sp = spatial(x, pool, pair(c, 'strides', pool), [1, 1], str(c, 'padding', 'valid'));
      return { name: g.node('AveragePool', [x.name], sp.attrs, layer.name), shape: [...sp.hw, x.shape[2]!] };
    }
    case 'Flatten': {
      if (x.shape.length === 1) return x;
      if (x.shape.length !== 3) throw new Error(`unsupported input rank ${x.shape.length + 1}`);
      // Keras flattens in NHWC order: undo our NCHW layout first.
      const t = g.node('Transpose', [x.name], [attr.ints('perm', [0, 2, 3, 1])], `${layer.name}/nhwc`);
      const size = x.shape.every((d) => d !== null) ? (x.shape as number[]).reduce((a, b) => a * b, 1) : null;
      return { name: g.node('Flatten', [t], [attr.int('axis', 1)], layer.name), shape: [size] };
    }
    default: throw new Error(`unsupported layer class '${layer.class_name}'`);
  }
}

/** `[[["name", nodeIndex, tensorIndex, kwargs], ...]]` → input layer names (single-use, single-output layers only). */
function inboundNames(layer: KerasLayer): string[] {
  if (layer.inbound_nodes.length !== 1 || !Array.isArray(layer.inbound_nodes[0])) throw new Error('only layers called exactly once are supported');
  return (layer.inbound_nodes[0] as unknown[]).map((ref) => {
    if (!Array.isArray(ref) || typeof ref[0] !== 'string' || ref[1] !== 0 || ref[2] !== 0) throw new Error(`unsupported inbound reference ${JSON.stringify(ref)}`);
    return ref[0];
  });
}

function valueInfo(name: string, dims: (number | null)[]): Onnx.IValueInfoProto {
  const dim = dims.map((d, i) => (i === 0 ? { dimParam: 'N' } : d === null ? { dimParam: `${name}_d${i}` } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } } };
}

export function convertLayersModel(
  topology: LayersModelTopology,
  weights: ReadonlyMap<string, DecodedWeight>,
  options: ConvertOptions = {},
): Uint8Array {
  const { inputName = 'input', outputName = 'probabilities', opset = 13, producer = 'ferry tfjs-to-onnx' } = options;
  // Clip/Pad take min/max/pads as inputs and Softmax is per-axis from opset 13 on.
  if (!Number.isInteger(opset) || opset < 13) throw new Error(`tfjs-to-onnx: opset must be an integer >= 13, got ${opset}`);
  const model = 'model_config' in topology ? topology.model_config : topology;
  if (model.class_name !== 'Model' && model.class_name !== 'Functional') {
    throw new Error(`tfjs-to-onnx: only functional models are supported, got '${model.class_name}'`);
  }
  const { layers, input_layers: inputs, output_layers: outputs } = model.config;
  if (inputs.length !== 1 || outputs.length !== 1) throw new Error('tfjs-to-onnx: exactly one input and one output are supported');
  const g = new GraphBuilder(weights);
  g.unique(inputName);
  g.unique(outputName);
  const values = new Map<string, Value>();
  let graphInput: Onnx.IValueInfoProto | undefined;
  for (const layer of layers) {
    try {
      if (layer.class_name === 'InputLayer') {
        const shape = get<(number | null)[]>(layer.config, 'batch_input_shape', Array.isArray, 'an array');
        const dtype = layer.config.dtype ?? 'float32';
        if (graphInput || (shape.length !== 2 && shape.length !== 4) || dtype !== 'float32') throw new Error('only one float32 input of rank 2 or 4 is supported');
        graphInput = valueInfo(inputName, shape);
        const name = shape.length === 4 ? g.node('Transpose', [inputName], [attr.ints('perm', [0, 3, 1, 2])], `${layer.name}/nchw`) : inputName;
        values.set(layer.name, { name, shape: shape.slice(1) });
        continue;
      }
      const ins = inboundNames(layer).map((n) => values.get(n) ?? (() => { throw new Error(`input '${n}' is not defined before use`); })());
      values.set(layer.name, convertLayer(g, layer, ins));
    } catch (e) {
      throw new Error(`tfjs-to-onnx: layer '${layer.name}' (${layer.class_name}): ${(e as Error).message}`, { cause: e });
    }
  }
  const outLayer = (outputs[0] as unknown[])[0];
  let out = values.get(String(outLayer));
  if (!graphInput || !out) throw new Error(`tfjs-to-onnx: model input or output layer '${String(outLayer)}' not found`);
  if (out.shape.length === 3) out = { name: g.node('Transpose', [out.name], [attr.ints('perm', [0, 2, 3, 1])], 'output/nhwc'), shape: out.shape };
  g.nodes.push({ opType: 'Identity', name: outputName, input: [out.name], output: [outputName] });
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: producer,
    producerVersion: CONVERTER_VERSION,
    graph: {
      name: model.config.name ?? 'model',
      node: g.nodes,
      initializer: g.inits,
      input: [graphInput],
      output: [valueInfo(outputName, [null, ...out.shape])],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}
