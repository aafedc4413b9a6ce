import type { IncomingMessage, ServerResponse } from 'node:http';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import {
  MAX_BATCH_BODY_BYTES,
  MAX_BATCH_OPS,
  MSGPACK_CONTENT_TYPE,
  internalPaths,
  type BatchOp,
  type BatchResult,
} from '@redoubt/cluster-client';
import {
  clusterTokenCheck,
  createBodyReader,
  writeErrorResponse,
  type PlainHandler,
} from '@redoubt/http-kit';
import { encodeMessage } from '@redoubt/records';
import type { PutItem, RecordStore } from '@redoubt/storage';
import type { Logger } from '@redoubt/telemetry';
import type { DataMetrics } from './data-metrics.js';
import { decodeMessageBody, wireError } from './message-http.js';

const ROUTE = internalPaths.batch;
const REQUEST_ID = /^[\w-]{1,128}$/;

export interface BatchHandlerDeps {
  store: RecordStore;
  metrics: DataMetrics;
  logger: Logger;
  clusterToken: string;
  /** True once shutdown began: answers then say `Connection: close`. */
  draining?: () => boolean;
}

/** True for the one request the batch handler answers: POST /internal/v1/batch. */
export function isBatchRequest(req: IncomingMessage): boolean {
  return req.method === 'POST' && req.url === ROUTE;
}

/**
 * POST /internal/v1/batch, the hot path, answered by a plain node:http handler in front of the express
 * app: express's per-request machinery cost the data node more CPU than the batch itself (the same finding
 * as the gateway's /v1/kv). It keeps what the express route had: the cluster token (constant time), the
 * body limit, MessagePack (or JSON) in and out, the catalogue's errors and the request metrics.
 *
 * Gets are answered from the store at once; all puts of the batch go into one write transaction (which
 * lmdb-js may share with other batches: group commit), and the answer leaves only after that commit is
 * durable. Each op gets its own result or error.
 */
export function createBatchHandler(deps: BatchHandlerDeps): PlainHandler {
  const { store, metrics, logger } = deps;
  const checkToken = clusterTokenCheck(deps.clusterToken);
  const readBody = createBodyReader(MAX_BATCH_BODY_BYTES);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    checkToken(req.headers);
    const body = await readBody(req, res);
    const results = await runBatch(store, metrics, opsOf(body, req.headers['content-type']));
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
    res.once('finish', () => {
      const status = String(res.statusCode);
      metrics.requests.inc({ route: ROUTE, method: 'POST', status });
      metrics.requestDuration.observe(
        { route: ROUTE, method: 'POST' },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    handle(req, res).catch((raw: unknown) => {
      const error = toRedoubtError(raw);
      const incoming = req.headers['x-request-id'];
      const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : undefined;
      metrics.errors.inc({ code: error.code });
      const status = writeErrorResponse(
        res,
        error,
        requestId,
        deps.draining?.() ? ['connection', 'close'] : [],
      );
      if (status >= 500) logger.error({ err: raw, requestId, path: ROUTE }, error.message);
    });
  };
}

function opsOf(body: Buffer, contentType: string | undefined): BatchOp[] {
  const ops = decodeMessageBody<{ ops?: unknown } | undefined>(body, contentType)?.ops;
  if (!Array.isArray(ops)) throw new RedoubtError('BODY_INVALID', 'a batch is { ops: [...] }');
  if (ops.length > MAX_BATCH_OPS) {
    throw new RedoubtError('BODY_INVALID', `a batch carries at most ${MAX_BATCH_OPS} ops`, {
      ops: ops.length,
    });
  }
  return ops as BatchOp[];
}

async function runBatch(store: RecordStore, metrics: DataMetrics, ops: BatchOp[]): Promise<BatchResult[]> {
  const results: BatchResult[] = new Array(ops.length);
  const puts: PutItem[] = [];
  const putAt: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op?.op === 'put') {
      puts.push({ partition: op.partition, record: op.record });
      putAt.push(i);
    } else if (op?.op === 'get') {
      try {
        const record = store.get(op.partition, op.key);
        results[i] = { record };
        metrics.ops.inc({ op: 'get', outcome: record ? 'found' : 'missing' });
      } catch (error) {
        results[i] = failed('get', error, metrics);
      }
    } else {
      results[i] = failed(
        'unknown',
        new RedoubtError('INVALID_ARGUMENT', 'op must be "put" or "get"'),
        metrics,
      );
    }
  }
  if (puts.length > 0) {
    const outcomes = await store.putMany(puts);
    for (let j = 0; j < outcomes.length; j++) {
      const outcome = outcomes[j]!;
      if (outcome instanceof RedoubtError) {
        results[putAt[j]!] = failed('put', outcome, metrics);
      } else {
        results[putAt[j]!] = outcome;
        metrics.ops.inc({ op: 'put', outcome: outcome.status });
      }
    }
  }
  return results;
}

function failed(op: string, error: unknown, metrics: DataMetrics): BatchResult {
  const e = toRedoubtError(error);
  metrics.ops.inc({ op, outcome: e.code });
  metrics.errors.inc({ code: e.code });
  return { error: wireError(e) };
}
