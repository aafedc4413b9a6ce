import type { Express } from 'express';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import { MAX_BATCH_OPS, internalPaths, type BatchRequest, type BatchResult } from '@redoubt/cluster-client';
import type { PutItem, RecordStore } from '@redoubt/storage';
import type { DataMetrics } from './data-metrics.js';
import { messageBody, rawBody, sendMessage, wireError } from './message-http.js';

/**
 * POST /internal/v1/batch: the hot path. Gets are answered from the store at once; all puts of the batch
 * go into one write transaction (which lmdb-js may share with other batches: group commit), and the
 * answer leaves only after that commit is durable. Each op gets its own result or error.
 */
export function addBatchRoute(app: Express, store: RecordStore, metrics: DataMetrics): void {
  app.post(internalPaths.batch, rawBody, async (req, res) => {
    const request = messageBody<BatchRequest>(req);
    const ops = request?.ops;
    if (!Array.isArray(ops)) throw new RedoubtError('BODY_INVALID', 'a batch is { ops: [...] }');
    if (ops.length > MAX_BATCH_OPS) {
      throw new RedoubtError('BODY_INVALID', `a batch carries at most ${MAX_BATCH_OPS} ops`, {
        ops: ops.length,
      });
    }
    const results: BatchResult[] = new Array(ops.length);
    const puts: PutItem[] = [];
    const putAt: number[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
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
    sendMessage(res, { results });
  });
}

function failed(op: string, error: unknown, metrics: DataMetrics): BatchResult {
  const e = toRedoubtError(error);
  metrics.ops.inc({ op, outcome: e.code });
  metrics.errors.inc({ code: e.code });
  return { error: wireError(e) };
}
