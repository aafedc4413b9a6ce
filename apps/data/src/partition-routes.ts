import type { Express } from 'express';
import { RedoubtError } from '@redoubt/errors';
import { internalPaths, INTERNAL_PREFIX, type ScrubRequest } from '@redoubt/cluster-client';
import type { RecordStore } from '@redoubt/storage';
import type { Logger } from '@redoubt/telemetry';
import { messageBody, partitionParam, rawBody, sendMessage } from './message-http.js';

/**
 * Partition-level operations:
 *   GET    /internal/v1/partitions                    -> { partitions: [{ partition, records, bytes, root }] }
 *   GET    /internal/v1/partitions/:partition/digest  -> { partition, root, buckets[64], records, bytes }
 *   DELETE /internal/v1/partitions/:partition         -> { partition, removed }
 *   POST   /internal/v1/scrub  <- { partition? }      -> { checked, corrupt: [{ partition, key }] }
 */
export function addPartitionRoutes(app: Express, store: RecordStore, logger: Logger): void {
  app.get(internalPaths.partitions, (_req, res) => {
    // Each partition's digest root too (from the maintained aggregates): one call tells a backup sweep
    // which partitions changed, instead of one digest request per partition.
    const partitions = store
      .listPartitions()
      .map((summary) => ({ ...summary, root: store.digest(summary.partition).root }));
    sendMessage(res, { partitions });
  });

  app.get(`${INTERNAL_PREFIX}/partitions/:partition/digest`, (req, res) => {
    sendMessage(res, store.digest(partitionParam(req.params.partition, store.partitions)));
  });

  app.delete(`${INTERNAL_PREFIX}/partitions/:partition`, async (req, res) => {
    const partition = partitionParam(req.params.partition, store.partitions);
    const removed = await store.dropPartition(partition);
    logger.info({ partition, removed }, 'partition dropped');
    sendMessage(res, { partition, removed });
  });

  app.post(internalPaths.scrub, rawBody, async (req, res) => {
    const hasBody = Buffer.isBuffer(req.body) && req.body.length > 0;
    const request = hasBody ? messageBody<ScrubRequest>(req) : {};
    if (request.partition !== undefined && typeof request.partition !== 'number') {
      throw new RedoubtError('INVALID_ARGUMENT', 'partition must be a number');
    }
    const result = await store.scrub(request.partition === undefined ? {} : { partition: request.partition });
    if (result.corrupt.length > 0) {
      logger.warn({ checked: result.checked, corrupt: result.corrupt.length }, 'scrub found corrupt records');
    }
    sendMessage(res, result);
  });
}
