import type { GatewayHttpServer } from './http-server.js';
import type { Gateway } from '../serving/gateway.js';

/**
 * Graceful stop: refuse new connections, answer every request already accepted (the
 * queue is sent at once, not at its deadlines), then close the keep-alive connections
 * still idle, which would otherwise hold `close()` open until they time out.
 */
export async function shutdownGateway(app: GatewayHttpServer, gateway: Gateway): Promise<void> {
  const closing = app.close();
  await gateway.drain();
  app.server.closeIdleConnections();
  await closing;
}
