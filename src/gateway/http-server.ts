import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { FerryError, type ErrorCode } from '../core/errors.js';
import { isItemError } from '../core/function-event.js';
import { getModel } from '../function/models/registry.js';
import type { Gateway } from './gateway.js';
import { httpStatusFor } from './http-status.js';
import { imageItem, parseInferRequest, type AdmittedItem } from './oip.js';
import type { ItemSettlement } from './pending-item.js';

export interface HttpOptions {
  /** Require `Authorization: Bearer <token>` on inference routes and /metrics. */
  token?: string;
  /** JSON request body limit. @default 16 MiB (64 tensors of 224x224x3 as JSON text) */
  jsonBodyLimitBytes?: number;
  /** Raw image body limit for /classify: base64 makes it 4/3 larger, and it must fit Lambda's 6 MB payload. @default 4 MiB */
  imageBodyLimitBytes?: number;
  /** Fastify's logger (pino) options; false for none. @default false */
  logger?: boolean | object;
}

const imageTypes = ['image/jpeg', 'image/png', 'image/webp'];

/**
 * The gateway's HTTP face: Open Inference Protocol v2 (what KServe and Triton clients
 * speak), a raw-image classify endpoint for curl, health, model metadata and Prometheus
 * metrics. Errors answer `{ error, code }` with the code's status.
 */
export function createHttpServer(gateway: Gateway, options: HttpOptions = {}): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.jsonBodyLimitBytes ?? 16 * 1024 * 1024 });
  app.addContentTypeParser(imageTypes, { parseAs: 'buffer', bodyLimit: options.imageBodyLimitBytes ?? 4 * 1024 * 1024 }, (_request, body, done) => done(null, body));

  if (options.token) {
    const expected = Buffer.from(`Bearer ${options.token}`);
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith('/v2/health')) return;
      const given = Buffer.from(request.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new FerryError('UNAUTHORIZED', 'Expected an Authorization: Bearer <token> header with the gateway token');
      }
    });
  }

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const ferry = error instanceof FerryError ? error : fromFastifyError(error);
    if (ferry.code === 'QUEUE_FULL') {
      const model = (request.params as { model?: string }).model;
      if (model) void reply.header('Retry-After', String(gateway.retryAfterS(model)));
    }
    if (httpStatusFor(ferry.code) >= 500 && ferry.code !== 'QUEUE_FULL') request.log.error(error);
    const model = (request.params as { model?: string } | undefined)?.model ?? '';
    gateway.metrics.errors.inc({ model, code: ferry.code });
    void reply.status(httpStatusFor(ferry.code)).send({ error: ferry.message, code: ferry.code });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: `No route ${request.method} ${request.url}`, code: 'NOT_FOUND' });
  });

  app.get('/v2', async () => ({ name: 'ferry', version: '0.1.0', extensions: ['classify'] }));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => {
    if (!gateway.isAccepting) return reply.status(503).send({ ready: false });
    return { ready: true };
  });
  app.get<{ Params: { model: string } }>('/v2/models/:model', async (request) => modelMetadata(gateway, request.params.model));
  app.get<{ Params: { model: string } }>('/v2/models/:model/ready', async (request, reply) => {
    servedModel(gateway, request.params.model);
    if (!gateway.isAccepting) return reply.status(503).send({ name: request.params.model, ready: false });
    return { name: request.params.model, ready: true };
  });

  app.post<{ Params: { model: string } }>('/v2/models/:model/infer', async (request) => {
    const spec = servedModel(gateway, request.params.model);
    const items = parseInferRequest(request.body, spec);
    const answers = await admit(gateway, spec.name, items);
    const outputs = answers.map(unwrap);
    const outputShape = outputs[0]!.shape;
    const body = request.body as { id?: unknown };
    return {
      model_name: spec.name,
      model_version: '1',
      ...(typeof body.id === 'string' ? { id: body.id } : {}),
      outputs: [{ name: 'probabilities', shape: [outputs.length, ...outputShape], datatype: 'FP32', data: outputs.flatMap((o) => o.data) }],
      parameters: { top: outputs.map((o) => o.top) },
    };
  });

  app.post<{ Params: { model: string }; Querystring: { top?: string } }>('/v2/models/:model/classify', async (request) => {
    const spec = servedModel(gateway, request.params.model);
    if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
      if (request.body === undefined || (Buffer.isBuffer(request.body) && request.body.length === 0)) {
        throw new FerryError('EMPTY_BODY', `Expected an image body (${imageTypes.join(', ')}), got none`);
      }
      throw new FerryError('UNSUPPORTED_MEDIA_TYPE', `Expected Content-Type ${imageTypes.join(', ')}, got ${request.headers['content-type'] ?? 'none'}`);
    }
    const [answer] = await admit(gateway, spec.name, [imageItem(request.body)]);
    const output = unwrap(answer!);
    const top = request.query.top === undefined ? output.top : output.top.slice(0, Math.max(1, Number(request.query.top) || 1));
    return { model_name: spec.name, top };
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.header('Content-Type', gateway.metrics.registry.contentType);
    return gateway.metrics.registry.metrics();
  });
  return app;
}

/** Queues the items, waits for every answer, and records the request's latency. */
async function admit(gateway: Gateway, model: string, items: AdmittedItem[]): Promise<ItemSettlement[]> {
  const startMs = performance.now();
  let status = 200;
  try {
    const answers = await gateway.infer(model, items);
    const failed = answers.find(isItemError);
    if (failed) status = httpStatusFor(failed.error.code as ErrorCode);
    return answers;
  } catch (error) {
    status = error instanceof FerryError ? httpStatusFor(error.code) : 500;
    throw error;
  } finally {
    gateway.metrics.requestSeconds.observe({ model, status: String(status) }, (performance.now() - startMs) / 1000);
  }
}

/** The output of a settled item, or its error thrown with its code (one bad item fails the request). */
function unwrap(answer: ItemSettlement) {
  if (isItemError(answer)) throw new FerryError(answer.error.code as ErrorCode, answer.error.message);
  return answer;
}

function servedModel(gateway: Gateway, model: string) {
  if (!gateway.models().includes(model)) {
    throw new FerryError('UNKNOWN_MODEL', `Expected model to be one of ${gateway.models().join(', ')}, got "${model}"`);
  }
  return getModel(model);
}

function modelMetadata(gateway: Gateway, model: string) {
  const spec = servedModel(gateway, model);
  return {
    name: spec.name,
    versions: ['1'],
    platform: 'onnxruntime',
    inputs: [
      { name: spec.inputName, datatype: 'FP32', shape: [-1, ...spec.itemShape] },
      { name: 'image', datatype: 'BYTES', shape: [-1] },
    ],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, spec.labels.length] }],
    parameters: { labels: spec.labels, description: spec.description, config: gateway.config(model) },
  };
}

function fromFastifyError(error: Error & { code?: string; statusCode?: number }): FerryError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new FerryError('BODY_TOO_LARGE', error.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new FerryError('UNSUPPORTED_MEDIA_TYPE', error.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new FerryError('EMPTY_BODY', error.message);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new FerryError('INVALID_JSON', error.message);
    default:
      if (error instanceof SyntaxError || error.statusCode === 400) return new FerryError('INVALID_JSON', error.message);
      return new FerryError('INTERNAL_ERROR', error.message);
  }
}
