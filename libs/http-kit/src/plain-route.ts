import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import { errorBody, httpStatusFor } from './http-status.js';

/**
 * Helpers for hot paths answered by a plain node:http handler in front of an express app (the gateway's
 * /v1/kv and the data node's batch route): express's per-request machinery costs more CPU than the work of
 * such a request, so these paths keep only the parts below, with the same errors as the express routes.
 */

/** body-parser and friends throw http-errors with `type`/`status`; give them catalogue codes. */
export function fromBodyParserError(error: unknown): RedoubtError {
  if (error instanceof RedoubtError) return error;
  const e = error as
    { type?: string; status?: number; limit?: number; length?: number; message?: string } | undefined;
  switch (e?.type) {
    case 'entity.too.large':
      return new RedoubtError(
        'VALUE_TOO_LARGE',
        `the body is ${e.length ?? 'over'} bytes; the limit is ${e.limit} bytes`,
        { limit: e.limit ?? null },
      );
    case 'entity.parse.failed':
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'stream.encoding.set':
      return new RedoubtError('BODY_INVALID', e.message ?? 'the request body is malformed');
    case 'request.aborted':
    case 'request.size.invalid':
      return new RedoubtError('BODY_INVALID', e.message ?? 'the request body was incomplete');
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new RedoubtError('INVALID_ARGUMENT', e.message ?? 'bad request');
  }
  return toRedoubtError(error);
}

export type BodyReader = (req: IncomingMessage, res: ServerResponse) => Promise<Buffer>;

/**
 * Reads a whole body as one Buffer, up to `limit` bytes (VALUE_TOO_LARGE beyond). Bodies are opaque
 * bytes: a content-encoded body is refused (BODY_INVALID) rather than silently decoded.
 */
export function createBodyReader(limit: number): BodyReader {
  const raw = express.raw({ type: () => true, limit, inflate: false });
  return (req, res) =>
    new Promise<Buffer>((resolve, reject) =>
      raw(req as never, res as never, (error?: unknown) => {
        if (error) return reject(fromBodyParserError(error));
        const body = (req as { body?: unknown }).body;
        resolve(Buffer.isBuffer(body) ? body : Buffer.alloc(0));
      }),
    );
}

/**
 * Answers an error with its catalogue status and the JSON body of every redoubt service, in one
 * writeHead (`headers`: extra header name/value pairs). A response already under way is cut off instead,
 * so a client never takes half a body for a whole one. Returns the status.
 */
export function writeErrorResponse(
  res: ServerResponse,
  error: RedoubtError,
  requestId: string | undefined,
  headers: string[] = [],
): number {
  const status = httpStatusFor(error);
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  const body = JSON.stringify(errorBody(error, requestId));
  headers.push(
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
  );
  res.writeHead(status, headers);
  res.end(body);
  return status;
}

export type PlainHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Puts plain handlers in front of the express app on a server made by `listen` (which keeps its timeouts
 * and shutdown behaviour): `pick` returns the handler for a request, or undefined to leave it to express.
 */
export function servePlainRoutesFirst(
  server: Server,
  app: Express,
  pick: (req: IncomingMessage) => PlainHandler | undefined,
): void {
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const handler = pick(req);
    if (handler) handler(req, res);
    else app(req, res);
  });
}
