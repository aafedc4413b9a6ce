import type { Server } from 'node:http';
import type { RequestHandler } from 'express';

export interface ConnectionDrain {
  /** Put first in the app: once draining, every response carries `Connection: close`. */
  middleware: RequestHandler;
  /** Watches the listening server for the shutdown signals. */
  attach(server: Server): void;
}

/**
 * Makes a graceful shutdown actually finish. Closing the server and its idle
 * keep-alive connections once; a connection busy at that moment (a batch waiting for its commit) becomes
 * idle a moment later and would then hold the process until the keep-alive timeout (65 s), so the
 * shutdown grace would expire. So once SIGTERM/SIGINT arrives, every response says `Connection: close`
 * and idle connections are closed again every 50 ms until the server has closed.
 */
export function createConnectionDrain(): ConnectionDrain {
  let draining = false;
  return {
    middleware: (_req, res, next) => {
      if (draining) res.setHeader('connection', 'close');
      next();
    },
    attach(server) {
      const start = () => {
        if (draining) return;
        draining = true;
        const timer = setInterval(() => server.closeIdleConnections(), 50);
        timer.unref();
        server.once('close', () => clearInterval(timer));
      };
      process.once('SIGTERM', start);
      process.once('SIGINT', start);
    },
  };
}
