import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from '@redoubt/telemetry';

/** Listens and resolves with the bound port (port 0 picks a free one: what tests use). */
export async function listen(
  app: Express,
  port: number,
  host: string,
): Promise<{ server: Server; port: number }> {
  const server = createServer(app);
  // Keep idle keep-alive sockets longer than clients do, so a client never writes into a socket we closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}

/**
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), run the service's own cleanup
 * (close the store, the queues), then exit 0. A second signal exits at once.
 */
export function onShutdown(
  logger: Logger,
  servers: Server[],
  cleanup: () => Promise<void>,
  graceMs = 10_000,
): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    await Promise.all(servers.map(closeGracefully));
    try {
      await cleanup();
    } catch (error) {
      logger.error({ err: error }, 'cleanup failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * Stops accepting and waits for in-flight requests. Keep-alive sockets that become idle after `close()`
 * would hold the server open until the client's own timeout, so idle ones are closed again every 50 ms.
 * (Use `createConnectionDrain` as well so responses during shutdown say `Connection: close`.)
 */
export function closeGracefully(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const sweeper = setInterval(() => server.closeIdleConnections(), 50);
    sweeper.unref();
    server.close(() => {
      clearInterval(sweeper);
      resolve();
    });
    server.closeIdleConnections();
  });
}
