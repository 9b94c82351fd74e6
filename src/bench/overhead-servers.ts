import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { meteredGateway } from '../gateway/metrics-observer.js';
import { createHttpServer } from '../gateway/http-server.js';
import { systemClock } from '../util/system-clock.js';
import { fixedAnswer, NoopInvoker } from './noop-invoker.js';

/** Which server a child of the overhead benchmark runs. */
export type OverheadServer =
  | { kind: 'floor' }
  | { kind: 'gateway'; batchSize: number; sloMs: number; maxInFlight: number };

/** What the gateway answers an OIP request of one image with the no-op invoker (the floor sends the same bytes). */
export const fixedInferAnswer = JSON.stringify({
  model_name: 'mobilenetv2',
  model_version: '1',
  outputs: [{ name: 'probabilities', shape: [1, fixedAnswer.shape[0]], datatype: 'FP32', data: fixedAnswer.data }],
  parameters: { top: [fixedAnswer.top] },
});

/** Starts the server on 127.0.0.1 and returns its port. */
export async function startOverheadServer(server: OverheadServer): Promise<number> {
  if (server.kind === 'floor') return startFloor();
  const { gateway, metrics } = meteredGateway({
    invoker: new NoopInvoker(), clock: systemClock(),
    models: { mobilenetv2: { functionName: 'mobilenetv2', batchSize: server.batchSize, processes: 1, threadsPerProcess: 1, memoryMb: 1769, sloMs: server.sloMs } },
    dispatcher: { maxInFlight: server.maxInFlight, random: Math.random },
  });
  const app = createHttpServer(gateway, metrics);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

/**
 * The floor: plain node:http that reads the body, JSON-parses it as the gateway does, checks
 * there is an input, and answers the gateway's answer as fixed bytes. What any HTTP JSON
 * service on this machine pays; what the gateway adds beyond it is its own cost.
 */
async function startFloor(): Promise<number> {
  const answer = Buffer.from(fixedInferAnswer);
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body: { inputs?: Array<{ data?: unknown[] }> } | undefined;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        body = undefined;
      }
      if (request.method !== 'POST' || typeof body?.inputs?.[0]?.data?.[0] !== 'string') {
        response.writeHead(400, { 'content-type': 'application/json' }).end('{"code":"INVALID_REQUEST"}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': answer.length }).end(answer);
    });
  });
  // Fastify's default, so that neither side closes idle keep-alive connections sooner.
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
