import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { isKvPath } from './kv-handler.js';

/**
 * Puts the public path in front of express on a server made by http-kit's `listen` (which keeps its
 * timeouts and shutdown behaviour): `/v1/kv...` goes to the lean handler, everything else to the express
 * app, exactly as before.
 */
export function servePublicPathFirst(
  server: Server,
  app: Express,
  publicPath: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (isKvPath(req.url ?? '')) publicPath(req, res);
    else app(req, res);
  });
}
