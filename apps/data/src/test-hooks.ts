import type { Express } from 'express';
import { RedoubtError } from '@redoubt/errors';
import { internalPaths, type TestCorruptRequest } from '@redoubt/cluster-client';
import { corruptRecordForTest, type RecordStore } from '@redoubt/storage';
import type { Logger } from '@redoubt/telemetry';
import { messageBody, rawBody, sendMessage } from './message-http.js';

/**
 * POST /internal/v1/test/corrupt  <- { partition, key } (MessagePack or JSON) -> { corrupted: key }
 *
 * Damages the stored bytes of one record (storage's corruptRecordForTest) so scrub and repair can be
 * tested against a live node. Registered only with DATA_ENABLE_TEST_HOOKS=true, and still behind the
 * cluster token.
 */
export function addTestHooks(app: Express, store: RecordStore, logger: Logger): void {
  logger.warn('test hooks are enabled (DATA_ENABLE_TEST_HOOKS=true): never run like this in production');
  app.post(internalPaths.testCorrupt, rawBody, async (req, res) => {
    const request = messageBody<TestCorruptRequest>(req);
    if (typeof request?.partition !== 'number' || typeof request.key !== 'string') {
      throw new RedoubtError('INVALID_ARGUMENT', 'a corrupt request is { partition, key }');
    }
    await corruptRecordForTest(store, request.partition, request.key);
    logger.warn(
      { partition: request.partition, key: request.key },
      'record corrupted on request (test hook)',
    );
    sendMessage(res, { corrupted: request.key });
  });
}
