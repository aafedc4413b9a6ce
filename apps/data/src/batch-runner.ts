import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import { MAX_BATCH_OPS, type BatchOp, type BatchResult } from '@redoubt/cluster-client';
import type { PutItem, RecordStore } from '@redoubt/storage';
import type { DataMetrics } from './data-metrics.js';
import { wireError } from './message-http.js';

/**
 * One batch of record ops against the store, shared by both ways a batch arrives (the HTTP route in
 * batch-handler.ts and the framed channel in batch-channel-server.ts).
 */

/** The ops of a decoded batch body, or BODY_INVALID. */
export function opsOf(body: { ops?: unknown } | undefined): BatchOp[] {
  const ops = body?.ops;
  if (!Array.isArray(ops)) throw new RedoubtError('BODY_INVALID', 'a batch is { ops: [...] }');
  if (ops.length > MAX_BATCH_OPS) {
    throw new RedoubtError('BODY_INVALID', `a batch carries at most ${MAX_BATCH_OPS} ops`, {
      ops: ops.length,
    });
  }
  return ops as BatchOp[];
}

/**
 * Gets are answered from the store at once; all puts go into one write transaction (which the
 * engine may share with other batches: the log's flush group, or lmdb-js's transaction: group commit), resolved only once that commit is durable. Each op gets its
 * own result or error.
 */
export async function runBatch(
  store: RecordStore,
  metrics: DataMetrics,
  ops: BatchOp[],
): Promise<BatchResult[]> {
  const results: BatchResult[] = new Array(ops.length);
  const puts: PutItem[] = [];
  const putAt: number[] = [];
  let found = 0;
  let missing = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op?.op === 'put') {
      puts.push({ partition: op.partition, record: op.record });
      putAt.push(i);
    } else if (op?.op === 'get') {
      try {
        const record = store.get(op.partition, op.key);
        results[i] = { record };
        if (record) found++;
        else missing++;
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
  if (found > 0) metrics.ops.inc({ op: 'get', outcome: 'found' }, found);
  if (missing > 0) metrics.ops.inc({ op: 'get', outcome: 'missing' }, missing);
  if (puts.length > 0) {
    const outcomes = await store.putMany(puts);
    let applied = 0;
    let stale = 0;
    for (let j = 0; j < outcomes.length; j++) {
      const outcome = outcomes[j]!;
      if (outcome instanceof RedoubtError) {
        results[putAt[j]!] = failed('put', outcome, metrics);
      } else {
        results[putAt[j]!] = outcome;
        if (outcome.status === 'applied') applied++;
        else stale++;
      }
    }
    // One inc per outcome and batch, not per op: prom-client hashes the label set on every call.
    if (applied > 0) metrics.ops.inc({ op: 'put', outcome: 'applied' }, applied);
    if (stale > 0) metrics.ops.inc({ op: 'put', outcome: 'stale' }, stale);
  }
  return results;
}

function failed(op: string, error: unknown, metrics: DataMetrics): BatchResult {
  const e = toRedoubtError(error);
  metrics.ops.inc({ op, outcome: e.code });
  metrics.errors.inc({ code: e.code });
  return { error: wireError(e) };
}
