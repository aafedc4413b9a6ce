import type { RequestHandler } from 'express';

export interface ConnectionDrain {
  /** Put first in the app: once draining, every response carries `Connection: close`. */
  middleware: RequestHandler;
  /** Watches for the shutdown signals. */
  attach(): void;
  /** True once shutdown began (for plain node:http handlers, which add the header themselves). */
  draining(): boolean;
}

/**
 * During a graceful shutdown every response says `Connection: close`, so a client busy on a keep-alive
 * connection (a batch waiting for its commit) does not send its next request into a closing server.
 * Closing the idle connections is `closeGracefully`'s work (through `onShutdown`); this only marks the
 * responses, from the moment SIGTERM/SIGINT arrives.
 */
export function createConnectionDrain(): ConnectionDrain {
  let draining = false;
  const start = () => {
    draining = true;
  };
  return {
    middleware: (_req, res, next) => {
      if (draining) res.setHeader('connection', 'close');
      next();
    },
    attach() {
      process.once('SIGTERM', start);
      process.once('SIGINT', start);
    },
    draining: () => draining,
  };
}
