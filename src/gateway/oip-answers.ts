import fastJson from 'fast-json-stringify';
import { FerryError, type ErrorCode } from '../core/errors.js';
import { isItemError, type ItemOutput } from '../core/function-event.js';
import type { ModelInfo } from '../models/catalog.js';
import type { ModelConfig } from '../serving/model-config.js';
import type { ItemSettlement } from '../serving/pending-item.js';

/**
 * The gateway's answers to inference requests, and their serializers. The two answers
 * have fixed schemas compiled by fast-json-stringify, about twice as fast as JSON.stringify
 * on these objects: a measurable share of the gateway's cost per request (BENCHMARKS.md,
 * gateway overhead). Each answer object is built with one fixed shape, so that V8 keeps it
 * a fast object (an optional field spread in made it a slow dictionary-mode one).
 */
const topSchema = {
  type: 'array',
  items: { type: 'object', properties: { label: { type: 'string' }, probability: { type: 'number' } }, required: ['label', 'probability'] },
} as const;

interface InferAnswer {
  model_name: string;
  model_version: string;
  /** Echoed from the request; undefined is left out. */
  id: string | undefined;
  outputs: Array<{ name: string; shape: number[]; datatype: string; data: number[] }>;
  parameters: { top: ItemOutput['top'][] };
}

export const serializeInferAnswer: (answer: InferAnswer) => string = fastJson({
  type: 'object',
  properties: {
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    id: { type: 'string' },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer' } },
          datatype: { type: 'string' },
          data: { type: 'array', items: { type: 'number' } },
        },
      },
    },
    parameters: { type: 'object', properties: { top: { type: 'array', items: topSchema } } },
  },
});

export const serializeClassifyAnswer: (answer: { model_name: string; top: ItemOutput['top'] }) => string = fastJson({
  type: 'object',
  properties: { model_name: { type: 'string' }, top: topSchema },
});

/** The output of a settled item, or its error thrown with its code (one bad item fails the request). */
export function unwrap(answer: ItemSettlement): ItemOutput {
  if (isItemError(answer)) throw new FerryError(answer.error.code as ErrorCode, answer.error.message);
  return answer;
}

/** The OIP answer: one `probabilities` tensor [N, classes] and the labels as `parameters.top`. */
export function inferAnswer(spec: ModelInfo, answers: ItemSettlement[], id: unknown): InferAnswer {
  const outputs = answers.map(unwrap);
  const data: number[] = [];
  for (const output of outputs) for (const value of output.data) data.push(value);
  return {
    model_name: spec.name,
    model_version: '1',
    id: typeof id === 'string' ? id : undefined,
    outputs: [{ name: 'probabilities', shape: [outputs.length, ...outputs[0]!.shape], datatype: 'FP32', data }],
    parameters: { top: outputs.map((o) => o.top) },
  };
}

/** GET /v2/models/{model}: OIP model metadata, with ferry's labels and the config in force. */
export function modelMetadata(spec: ModelInfo, config: ModelConfig) {
  return {
    name: spec.name,
    versions: ['1'],
    platform: 'onnxruntime',
    inputs: [
      { name: spec.inputName, datatype: 'FP32', shape: [-1, ...spec.itemShape] },
      { name: 'image', datatype: 'BYTES', shape: [-1] },
    ],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, spec.labels.length] }],
    parameters: { labels: spec.labels, description: spec.description, config },
  };
}
