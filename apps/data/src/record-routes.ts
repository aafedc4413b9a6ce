import type { Express } from 'express';
import { RedoubtError } from '@redoubt/errors';
import { INTERNAL_PREFIX } from '@redoubt/cluster-client';
import { assertVersion, makeTombstone, type StoredRecord } from '@redoubt/records';
import type { RecordStore } from '@redoubt/storage';
import type { DataMetrics } from './data-metrics.js';
import { messageBody, partitionParam, rawBody, sendMessage } from './message-http.js';

const RECORD_PATH = `${INTERNAL_PREFIX}/partitions/:partition/records/:key`;

/**
 * One record at a time (debugging, tools, single repairs); the gateway uses the batch route instead.
 *   GET    -> the record (tombstones included) or 404 RECORD_NOT_FOUND
 *   PUT    <- a StoredRecord for that key -> { status, current }
 *   DELETE ?version=V -> writes a tombstone of version V -> { status, current }
 */
export function addRecordRoutes(app: Express, store: RecordStore, metrics: DataMetrics): void {
  app.get(RECORD_PATH, (req, res) => {
    const partition = partitionParam(req.params.partition, store.partitions);
    const record = store.get(partition, req.params.key!);
    metrics.ops.inc({ op: 'get', outcome: record ? 'found' : 'missing' });
    if (record === null)
      throw new RedoubtError('RECORD_NOT_FOUND', `no record for key ${JSON.stringify(req.params.key)}`);
    sendMessage(res, record);
  });

  app.put(RECORD_PATH, rawBody, async (req, res) => {
    const partition = partitionParam(req.params.partition, store.partitions);
    const record = messageBody<StoredRecord>(req);
    if (record?.key !== req.params.key) {
      throw new RedoubtError('INVALID_ARGUMENT', 'the record key differs from the key in the path');
    }
    const outcome = await store.put(partition, record);
    metrics.ops.inc({ op: 'put', outcome: outcome.status });
    sendMessage(res, outcome);
  });

  app.delete(RECORD_PATH, async (req, res) => {
    const partition = partitionParam(req.params.partition, store.partitions);
    const version = assertVersion(req.query.version);
    const outcome = await store.put(partition, makeTombstone(req.params.key!, version));
    metrics.ops.inc({ op: 'delete', outcome: outcome.status });
    sendMessage(res, outcome);
  });
}
