/**
 * Entry point of one worker: a child process (or worker thread) that owns one ONNX Runtime
 * session and runs the sub-batches its pool sends it, one at a time.
 */
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { FerryError } from '../core/errors.js';
import { itemError, type ItemAnswer } from '../core/function-event.js';
import { getModel, itemLength, type ModelSpec } from './models/registry.js';
import { imageToItem } from './preprocess.js';
import { topLabels } from './top-labels.js';
import type { FromWorker, ToWorker, WireItem } from './worker-protocol.js';

// Each worker is given one core's worth of work: sharp's own thread pool would compete with
// the ONNX Runtime threads the pool sized on purpose.
sharp.concurrency(1);
sharp.cache(false);

interface Loaded {
  spec: ModelSpec;
  session: ort.InferenceSession;
  outputName: string;
}

let loaded: Loaded | undefined;

const send = (message: FromWorker): void => {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
};

async function load(message: Extract<ToWorker, { type: 'load' }>): Promise<void> {
  const startMs = performance.now();
  try {
    const spec = getModel(message.modelName);
    const session = await ort.InferenceSession.create(message.modelPath, {
      intraOpNumThreads: message.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    loaded = { spec, session, outputName: session.outputNames[0]! };
    send({ type: 'loaded', loadMs: performance.now() - startMs });
  } catch (error) {
    send({ type: 'load-failed', error: { code: 'WORKER_START_FAILED', message: (error as Error).message } });
  }
}

async function run(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const { spec, session, outputName } = loaded!;
  const size = itemLength(spec);
  const outputs: ItemAnswer[] = new Array(message.items.length);
  const batch = new Float32Array(size * message.items.length);
  const batchSlots: number[] = [];

  const decodeStartMs = performance.now();
  for (const [slot, item] of message.items.entries()) {
    const target = batch.subarray(batchSlots.length * size, (batchSlots.length + 1) * size);
    const error = await fillItem(item, spec, target);
    if (error) outputs[slot] = error;
    else batchSlots.push(slot);
  }
  const decodeMs = performance.now() - decodeStartMs;

  const inferenceStartMs = performance.now();
  if (batchSlots.length > 0) {
    try {
      const input = new ort.Tensor('float32', batch.subarray(0, batchSlots.length * size), [batchSlots.length, ...spec.itemShape]);
      const result = await session.run({ [spec.inputName]: input });
      const output = result[outputName]!;
      const itemOutShape = output.dims.slice(1);
      const outSize = itemOutShape.reduce((a, b) => a * b, 1);
      const data = output.data as Float32Array;
      batchSlots.forEach((slot, row) => {
        const values = Array.from(data.subarray(row * outSize, (row + 1) * outSize));
        outputs[slot] = { shape: itemOutShape, data: values, top: topLabels(values, spec.labels, message.topK) };
      });
    } catch (error) {
      for (const slot of batchSlots) outputs[slot] = itemError('INFERENCE_FAILED', (error as Error).message);
    }
  }
  send({ type: 'result', jobId: message.jobId, outputs, decodeMs, inferenceMs: performance.now() - inferenceStartMs });
}

/** Writes one item into `target`; returns its error answer instead when the item is bad. */
async function fillItem(item: WireItem, spec: ModelSpec, target: Float32Array): Promise<ItemAnswer | undefined> {
  if (item.kind === 'invalid') return { error: item.error };
  try {
    if (item.kind === 'image') await imageToItem(item.bytes, spec.image, target);
    else target.set(item.data);
    return undefined;
  } catch (error) {
    if (error instanceof FerryError) return { error: error.toJSON() };
    return itemError('INVALID_INPUT', (error as Error).message);
  }
}

// Messages are handled strictly one after another, so a run never overlaps a load.
let queue: Promise<void> = Promise.resolve();
const onMessage = (message: ToWorker): void => {
  queue = queue.then(() => (message.type === 'load' ? load(message) : run(message)));
};

if (parentPort) parentPort.on('message', onMessage);
else process.on('message', (message) => onMessage(message as ToWorker));
// A worker whose pool went away must not linger as an orphan.
if (!parentPort) process.on('disconnect', () => process.exit(0));
