import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { toRedoubtError } from '@redoubt/errors';
import { MAX_BATCH_BODY_BYTES, MSGPACK_CONTENT_TYPE, internalPaths } from '@redoubt/cluster-client';
import {
  clusterTokenCheck,
  createBodyReader,
  writeErrorResponse,
  type AuthFailureReporter,
  type PlainHandler,
} from '@redoubt/http-kit';
import { encodeMessage } from '@redoubt/records';
import type { RecordStore } from '@redoubt/storage';
import type { Logger } from '@redoubt/telemetry';
import type { DataMetrics } from './data-metrics.js';
import { opsOf, runBatch } from './batch-runner.js';
import { decodeMessageBody } from './message-http.js';

const ROUTE = internalPaths.batch;
const REQUEST_ID = /^[\w-]{1,128}$/;

export interface BatchHandlerDeps {
  store: RecordStore;
  metrics: DataMetrics;
  logger: Logger;
  clusterToken: string;
  /** True once shutdown began: answers then say `Connection: close`. */
  draining?: () => boolean;
  /** Counts and logs a refused cluster token (http-kit's createAuthFailureReporter). */
  authFailures: AuthFailureReporter;
}

/** True for the one request the batch handler answers: POST /internal/v1/batch. */
export function isBatchRequest(req: IncomingMessage): boolean {
  return req.method === 'POST' && req.url === ROUTE;
}

/**
 * POST /internal/v1/batch, the hot path, answered by a plain node:http handler in front of the express
 * app: express's per-request machinery cost the data node more CPU than the batch itself (the same finding
 * as the gateway's /v1/kv). It keeps what the express route had: the cluster token (constant time), the
 * body limit, MessagePack (or JSON) in and out, the catalogue's errors and the request metrics. The
 * batch itself is runBatch's (batch-runner.ts), as on the batch channel.
 */
export function createBatchHandler(deps: BatchHandlerDeps): PlainHandler {
  const { store, metrics, logger } = deps;
  const checkToken = clusterTokenCheck(deps.clusterToken);
  const readBody = createBodyReader(MAX_BATCH_BODY_BYTES);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    checkToken(req.headers);
    const body = await readBody(req, res);
    const decoded = decodeMessageBody<{ ops?: unknown } | undefined>(body, req.headers['content-type']);
    const results = await runBatch(store, metrics, opsOf(decoded));
    const answer = encodeMessage({ results });
    const headers = [
      'content-type',
      MSGPACK_CONTENT_TYPE,
      'content-length',
      String(answer.length),
      'cache-control',
      'no-store',
    ];
    if (deps.draining?.()) headers.push('connection', 'close');
    res.writeHead(200, headers);
    res.end(answer);
  };

  return (req, res) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => metrics.request(ROUTE, 'POST', String(res.statusCode), started));
    handle(req, res).catch((raw: unknown) => {
      const error = toRedoubtError(raw);
      const incoming = req.headers['x-request-id'];
      // Every error answer names a request id (made up when the caller sent none): an INTERNAL one says
      // only that, and the log line below has the real message under the same id.
      const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      metrics.errors.inc({ code: error.code });
      deps.authFailures(error, { requestId, path: ROUTE, remote: req.socket.remoteAddress });
      const headers = ['x-request-id', requestId];
      if (deps.draining?.()) headers.push('connection', 'close');
      const status = writeErrorResponse(res, error, requestId, headers);
      if (status >= 500) logger.error({ err: raw, requestId, path: ROUTE }, error.message);
    });
  };
}
