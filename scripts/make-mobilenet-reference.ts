// Produces models/mobilenetv2.reference.json: the outputs tfjs itself computes for
// nsfwjs's MobileNetV2 on the deterministic referenceInput(0..2). ensureMobilenetV2Onnx checks
// every converted ONNX file against these numbers. Run: npx tsx scripts/make-mobilenet-reference.ts
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {
  MOBILENET_V2_INPUT_SIZE, loadNsfwjsMobilenetV2, mobilenetV2ModelSha256, referenceInput, type MobilenetReference,
} from '../src/function/models/nsfwjs-mobilenet.js';
import { weightSpecsOf } from '../src/function/models/tfjs-weights.js';

const REFERENCE_COUNT = 3;

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const src = loadNsfwjsMobilenetV2();
  const weightData = src.weightData.slice().buffer; // exact-size ArrayBuffer, as tfjs expects
  const model = await tf.loadLayersModel({
    load: async () => ({ modelTopology: src.modelTopology as object, weightSpecs: weightSpecsOf(src.weightsManifest) as tf.io.WeightsManifestEntry[], weightData }),
  });
  const S = MOBILENET_V2_INPUT_SIZE;
  const inputs: MobilenetReference['inputs'] = [];
  for (let index = 0; index < REFERENCE_COUNT; index++) {
    const started = performance.now();
    const x = tf.tensor4d(referenceInput(index), [1, S, S, 3]);
    const y = model.predict(x) as tf.Tensor;
    const output = Array.from(await y.data());
    tf.dispose([x, y]);
    console.log(`input ${index}: [${output.map((v) => v.toFixed(6)).join(', ')}] in ${(performance.now() - started).toFixed(0)} ms`);
    inputs.push({ index, output });
  }
  const reference: MobilenetReference = {
    source: `nsfwjs@${src.nsfwjsVersion} dist/models/mobilenet_v2 (tfjs LayersModel, uint8-quantized weights)`,
    generatedBy: 'scripts/make-mobilenet-reference.ts',
    tfjsVersion: tf.version.tfjs,
    nsfwjsVersion: src.nsfwjsVersion,
    modelSha256: mobilenetV2ModelSha256(src),
    inputs,
  };
  const out = new URL('../models/mobilenetv2.reference.json', import.meta.url);
  writeFileSync(out, `${JSON.stringify(reference, null, 2)}\n`);
  console.log(`wrote ${out.pathname}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
