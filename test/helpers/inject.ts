import { inject as lightInject, type InjectOptions, type Response } from 'light-my-request';
import type { GatewayHttpServer } from '../../src/gateway/http-server.js';

export type { InjectOptions };

/**
 * Sends a request into the server's handler in-process, without a socket (light-my-request,
 * what fastify's own inject() is built on). Over-the-socket tests are in live.test.ts.
 */
export function inject(app: GatewayHttpServer, options: InjectOptions): Promise<Response> {
  return lightInject(app.handle, options);
}
