import { timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { FerryError, quoteText, type ErrorCode } from '../core/errors.js';
import { isItemError } from '../core/function-event.js';
import { modelInfo, type ModelInfo } from '../models/catalog.js';
import type { Gateway } from '../serving/gateway.js';
import type { GatewayMetrics } from './metrics.js';
import { admissionLimits, checkClassifyBody, checkItemSize, classifyTop, type AdmissionLimits } from './admission.js';
import { dashboardPage } from './dashboard.js';
import { ClientGone, mediaType, mustCloseUnread, parseJsonBody, readBody } from './http-body.js';
import { answerClientError, writeErrorAndClose } from './http-client-error.js';
import { httpStatusFor } from './http-status.js';
import { decodeSegment, originForm } from './http-target.js';
import { imageItem, parseInferRequest, type AdmittedItem } from './oip.js';
import { inferAnswer, modelMetadata, serializeClassifyAnswer, serializeInferAnswer, unwrap } from './oip-answers.js';
import type { ItemSettlement } from '../serving/pending-item.js';

export interface HttpOptions {
  /** Require `Authorization: Bearer <token>` on every route but /v2/health/*. */
  token?: string;
  /** JSON request body limit. @default 16 MiB (64 tensors of 224x224x3 as JSON text) */
  jsonBodyLimitBytes?: number;
  /** Raw image body limit for /classify: base64 makes it 4/3 larger, and it must fit Lambda's 6 MB payload. @default 4 MiB */
  imageBodyLimitBytes?: number;
  /** Log every request as a JSON line (pino) to stdout. @default false */
  logger?: boolean;
  /** What GET /v2/ferry/status answers; with it the /dashboard page is served too. @default neither route */
  status?: () => unknown;
  /**
   * A body refused unread (too large, unauthorized, wrong route) is read and discarded
   * after the answer, keeping the connection, if its declared length is at most this;
   * a larger one, or a chunked one, closes the connection. @default 32 MiB (twice the JSON limit)
   */
  maxDrainBytes?: number;
}

const imageTypes = ['image/jpeg', 'image/png', 'image/webp'];
const modelsPrefix = '/v2/models/';
const jsonType = 'application/json; charset=utf-8';
/** An error message longer than this is cut: a safety net under the bounded quotes of each message. */
const maxErrorMessageChars = 1024;

/** What a route answers: a status and a body, already serialized. */
interface Reply {
  status: number;
  body: string;
  contentType?: string;
  retryAfterS?: number;
}

const json = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) });

/**
 * The gateway's HTTP face on node:http: Open Inference Protocol v2 (what KServe and Triton
 * clients speak), a raw-image classify endpoint for curl, health, model metadata and
 * Prometheus metrics. Errors answer `{ error, code }` with the code's status.
 *
 * Why not fastify (which served here first): with the same gateway behind both, dropping
 * fastify's request, reply and hook machinery was the largest single gain on the no-op
 * overhead benchmark (BENCHMARKS.md), and eight fixed routes need no router. What fastify gave is kept: body
 * limits enforced while streaming, content-type checks, JSON parsing that refuses
 * prototype-poisoning keys (secure-json-parse, as fastify), one error shape, keep-alive
 * 72 s, and Node's own request and header timeouts against slow clients.
 */
export class GatewayHttpServer {
  readonly server: http.Server;
  private readonly specs: Map<string, ModelInfo>;
  private readonly expectedToken: Buffer | undefined;
  private readonly jsonLimitBytes: number;
  private readonly imageLimitBytes: number;
  private readonly log: Logger | undefined;
  private readonly status: (() => unknown) | undefined;
  private readonly limits: AdmissionLimits;
  private readonly maxDrainBytes: number;
  private nextRequestId = 1;
  private closing = false;

  constructor(
    private readonly gateway: Gateway,
    private readonly metrics: GatewayMetrics,
    options: HttpOptions = {},
  ) {
    // The served models never change after the gateway is built.
    this.specs = new Map(gateway.models().map((name) => [name, modelInfo(name)]));
    this.expectedToken = options.token ? Buffer.from(options.token) : undefined;
    this.jsonLimitBytes = options.jsonBodyLimitBytes ?? 16 * 1024 * 1024;
    this.imageLimitBytes = options.imageBodyLimitBytes ?? 4 * 1024 * 1024;
    this.log = options.logger ? pino() : undefined;
    this.status = options.status;
    this.limits = admissionLimits(gateway.maxQueueItems);
    this.maxDrainBytes = options.maxDrainBytes ?? 32 * 1024 * 1024;
    // The Host check is ours (below), so that its refusal has a body like every other.
    this.server = http.createServer({ requireHostHeader: false }, this.handle);
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      const code = answerClientError(error, socket);
      if (code) this.metrics.recordError('unknown', code);
    });
    // Node answers these itself with empty bodies (417), or drops the connection (CONNECT).
    this.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
      const error = new FerryError('EXPECTATION_FAILED', `Expected no Expect header or "100-continue", got ${quoteText(request.headers.expect ?? '')}`);
      this.send(request, response, this.errorReply(request, error), 0);
    });
    this.server.on('connect', (request: IncomingMessage, socket: Duplex) => {
      this.metrics.recordError('unknown', 'NOT_FOUND');
      writeErrorAndClose(socket, 'NOT_FOUND', `No route CONNECT ${quoteText(request.url ?? '')}: ferry is not a proxy`);
    });
    // As fastify: longer than the common 60 s of load balancers in front, so they close first.
    this.server.keepAliveTimeout = 72_000;
  }

  /** Listens and returns the base URL, e.g. http://127.0.0.1:8080. */
  async listen(options: { port: number; host: string }): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(options.port, options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  /**
   * Stops accepting connections (idle keep-alive ones close now, the others after their
   * answer, which says `Connection: close`); resolves once every one has closed.
   */
  close(): Promise<void> {
    this.closing = true;
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }

  /** The request handler (also what in-process tests inject requests into). */
  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    const startMs = this.log ? performance.now() : 0;
    const fail = (error: unknown) => {
      if (!(error instanceof ClientGone)) this.send(request, response, this.errorReply(request, error), startMs);
    };
    let reply: Reply | Promise<Reply>;
    try {
      reply = this.route(request, response);
    } catch (error) {
      return fail(error);
    }
    if (reply instanceof Promise) reply.then((r) => this.send(request, response, r, startMs), fail);
    else this.send(request, response, reply, startMs);
  };

  /** Routes without a body answer at once; the others return their promise (no extra async hop). */
  private route(request: IncomingMessage, response: ServerResponse): Reply | Promise<Reply> {
    const url = originForm(request.url ?? '/');
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (request.headers.host === undefined && request.httpVersionMinor >= 1 && request.httpVersionMajor === 1) {
      throw new FerryError('MALFORMED_HTTP', 'Expected a Host header (HTTP/1.1 requires one), got none');
    }
    // The dashboard page carries no data (a browser cannot send a header when it navigates):
    // it asks for the token and sends it with every /v2/ferry/status request.
    if (this.expectedToken && !path.startsWith('/v2/health/') && path !== '/dashboard') this.checkToken(request);
    if (path.startsWith(modelsPrefix)) {
      // /v2/models/{model} or /v2/models/{model}/{action}, nothing deeper.
      const slash = path.indexOf('/', modelsPrefix.length);
      const action = slash < 0 ? undefined : path.slice(slash + 1);
      const model = decodeSegment(slash < 0 ? path.slice(modelsPrefix.length) : path.slice(modelsPrefix.length, slash));
      if (model && !action?.includes('/')) {
        if (method === 'POST' && action === 'infer') return this.infer(request, response, model);
        if (method === 'POST' && action === 'classify') return this.classify(request, response, model, queryAt < 0 ? '' : url.slice(queryAt + 1));
        if (method === 'GET' && action === undefined) return json(200, modelMetadata(this.servedModel(model), this.gateway.config(model)));
        if (method === 'GET' && action === 'ready') {
          this.servedModel(model);
          return json(this.gateway.isAccepting ? 200 : 503, { name: model, ready: this.gateway.isAccepting });
        }
      }
    } else if (method === 'GET') {
      switch (path) {
        case '/v2':
          return json(200, { name: 'ferry', version: '0.1.0', extensions: ['classify'] });
        case '/v2/health/live':
          return json(200, { live: true });
        case '/v2/health/ready':
          return json(this.gateway.isAccepting ? 200 : 503, { ready: this.gateway.isAccepting });
        case '/metrics': {
          const registry = this.metrics.registry;
          return registry.metrics().then((body) => ({ status: 200, body, contentType: registry.contentType }));
        }
        case '/v2/ferry/status':
          if (this.status) return json(200, this.status());
          break;
        case '/dashboard':
          if (this.status) return { status: 200, body: dashboardPage(), contentType: 'text/html; charset=utf-8' };
          break;
      }
    }
    throw new FerryError('NOT_FOUND', `No route ${request.method ?? ''} ${quoteText(url)}`);
  }

  private async infer(request: IncomingMessage, response: ServerResponse, model: string): Promise<Reply> {
    const spec = this.servedModel(model);
    const type = mediaType(request.headers['content-type']);
    // A missing Content-Type is read as JSON: what every OIP client sends anyway.
    if (type !== '' && type !== 'application/json') {
      throw new FerryError('UNSUPPORTED_MEDIA_TYPE', `Expected Content-Type application/json, got ${quoteText(type)}`);
    }
    const body = parseJsonBody(await readBody(request, this.jsonLimitBytes));
    const answers = await this.admit(model, parseInferRequest(body, spec, this.limits), response);
    return { status: 200, body: serializeInferAnswer(inferAnswer(spec, answers, (body as { id?: unknown }).id)) };
  }

  private async classify(request: IncomingMessage, response: ServerResponse, model: string, query: string): Promise<Reply> {
    const spec = this.servedModel(model);
    const topK = classifyTop(query, spec);
    const type = mediaType(request.headers['content-type']);
    const unsupported = () => new FerryError('UNSUPPORTED_MEDIA_TYPE', `Expected Content-Type ${imageTypes.join(', ')}, got ${type ? quoteText(type) : 'none'}`);
    if (type !== '' && !imageTypes.includes(type)) throw unsupported();
    const body = await readBody(request, this.imageLimitBytes);
    if (body.length === 0) throw new FerryError('EMPTY_BODY', `Expected an image body (${imageTypes.join(', ')}), got none`);
    if (type === '') throw unsupported();
    checkClassifyBody(body, type);
    const item = imageItem(body);
    checkItemSize(item.payloadBytes, 'the image', this.limits);
    const [answer] = await this.admit(model, [item], response);
    const output = unwrap(answer!);
    return { status: 200, body: serializeClassifyAnswer({ model_name: spec.name, top: output.top.slice(0, topK) }) };
  }

  /**
   * Queues the items and records the request's latency once every answer is in. When the
   * client goes away first, its items still queued are withdrawn (answered CLIENT_GONE,
   * never invoked), so that its slots do not pad a batch with work nobody will read.
   */
  private admit(model: string, items: AdmittedItem[], response: ServerResponse): Promise<ItemSettlement[]> {
    const startMs = performance.now();
    const meter = this.metrics.model(model);
    return new Promise((resolve, reject) => {
      let answered = false;
      let withdraw: (() => number) | undefined;
      const onClose = () => {
        if (!answered) withdraw?.();
      };
      try {
        withdraw = this.gateway.submit(model, items, (answers) => {
          answered = true;
          response.off('close', onClose);
          const failed = answers.find(isItemError);
          meter.recordRequest(failed ? httpStatusFor(failed.error.code as ErrorCode) : 200, (performance.now() - startMs) / 1000);
          resolve(answers);
        });
      } catch (error) {
        meter.recordRequest(error instanceof FerryError ? httpStatusFor(error.code) : 500, (performance.now() - startMs) / 1000);
        return reject(error);
      }
      if (!answered) response.once('close', onClose);
    });
  }

  private servedModel(model: string): ModelInfo {
    const spec = this.specs.get(model);
    if (!spec) throw new FerryError('UNKNOWN_MODEL', `Expected model to be one of ${[...this.specs.keys()].join(', ')}, got ${quoteText(model)}`);
    return spec;
  }

  /** `Authorization: Bearer <token>`, the scheme in any case (RFC 7235: schemes are case-insensitive). */
  private checkToken(request: IncomingMessage): void {
    const header = request.headers.authorization ?? '';
    const space = header.indexOf(' ');
    const scheme = space < 0 ? header : header.slice(0, space);
    const given = Buffer.from(space < 0 ? '' : header.slice(space + 1).trimStart());
    if (scheme.toLowerCase() !== 'bearer' || given.length !== this.expectedToken!.length || !timingSafeEqual(given, this.expectedToken!)) {
      throw new FerryError('UNAUTHORIZED', 'Expected an Authorization: Bearer <token> header with the gateway token');
    }
  }

  private errorReply(request: IncomingMessage, error: unknown): Reply {
    const ferry = error instanceof FerryError ? error : new FerryError('INTERNAL_ERROR', (error as Error)?.message ?? String(error));
    const status = httpStatusFor(ferry.code);
    const url = quoteText(request.url ?? '');
    if (status >= 500 && ferry.code !== 'QUEUE_FULL' && ferry.code !== 'SHUTTING_DOWN') {
      if (this.log) this.log.error({ err: error, url }, `${ferry.code}: ${ferry.message}`);
      else console.error(`ferry gateway: ${request.method ?? ''} ${url}: ${ferry.code}: ${(error as Error)?.stack ?? ferry.message}`);
    }
    // Only served models get a label of their own: a client must not mint label values.
    const model = /^\/v2\/models\/([^/?]+)/.exec(originForm(request.url ?? ''))?.[1];
    this.metrics.recordError(model && this.specs.has(model) ? model : 'unknown', ferry.code);
    const message = ferry.message.length > maxErrorMessageChars ? `${ferry.message.slice(0, maxErrorMessageChars)}... (cut)` : ferry.message;
    const reply = json(status, { error: message, code: ferry.code });
    if (ferry.code === 'QUEUE_FULL' && model && this.specs.has(model)) reply.retryAfterS = this.gateway.retryAfterS(model);
    // The platform refused for longer than the retries waited (about 0.2 s): another second is a fair guess.
    if (ferry.code === 'THROTTLED') reply.retryAfterS = 1;
    return reply;
  }

  private send(request: IncomingMessage, response: ServerResponse, reply: Reply, startMs: number): void {
    if (response.headersSent || response.destroyed) return;
    const headers: http.OutgoingHttpHeaders = {
      'content-type': reply.contentType ?? jsonType,
      'content-length': Buffer.byteLength(reply.body),
    };
    if (reply.retryAfterS !== undefined) headers['retry-after'] = String(reply.retryAfterS);
    // A request without a body, answered before node:http saw its (empty) end, keeps its
    // connection (health probes, metadata, 404s, pipelined requests after them); so does
    // one whose unread body node:http can discard, up to a bound (http-body.ts).
    if (this.closing || mustCloseUnread(request, this.maxDrainBytes)) headers.connection = 'close';
    response.writeHead(reply.status, headers).end(reply.body);
    this.log?.info({ reqId: this.nextRequestId++, method: request.method, url: request.url, statusCode: reply.status, responseTimeMs: performance.now() - startMs }, 'request completed');
  }
}

export function createHttpServer(gateway: Gateway, metrics: GatewayMetrics, options: HttpOptions = {}): GatewayHttpServer {
  return new GatewayHttpServer(gateway, metrics, options);
}
