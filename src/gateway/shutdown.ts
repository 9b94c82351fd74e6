import type { FastifyInstance } from 'fastify';
import type { Gateway } from './gateway.js';

/**
 * Graceful stop: refuse new connections, answer every request already accepted (the
 * queue is sent at once, not at its deadlines), then close the keep-alive connections
 * that went idle meanwhile, which would otherwise hold `close()` open until they time out.
 */
export async function shutdownGateway(app: FastifyInstance, gateway: Gateway): Promise<void> {
  const closing = app.close();
  await gateway.drain();
  app.server.closeIdleConnections();
  await closing;
}
