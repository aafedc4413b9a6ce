import type { Express } from 'express';
import { RedoubtError } from '@redoubt/errors';
import { internalPaths, type TestCorruptRequest, type TestDiskFaultRequest } from '@redoubt/cluster-client';
import { corruptRecordForTest, type RecordStore } from '@redoubt/storage';
import type { FaultyFileSystem } from '@redoubt/storage/testing';
import type { Logger } from '@redoubt/telemetry';
import { messageBody, rawBody, sendMessage } from './message-http.js';

const FAULT_OPS = ['write', 'fsync', 'unlink'];
const FAULT_CODES = ['EIO', 'ENOSPC'];

/**
 * POST /internal/v1/test/corrupt  <- { partition, key } (MessagePack or JSON) -> { corrupted: key }
 *
 * Damages the stored bytes of one record (storage's corruptRecordForTest) so scrub and repair can be
 * tested against a live node.
 *
 * POST /internal/v1/test/disk-fault  <- { op, code, after?, times?, short? } -> { armed: { ... } }
 *
 * Arms a disk fault in the log engine's file layer (`disk`, storage's FaultyFileSystem, which main.ts
 * puts under the store only when test hooks are on): the node's next write, flush or delete fails
 * with EIO or ENOSPC. Registered only with DATA_ENABLE_TEST_HOOKS=true, and still behind the cluster
 * token.
 */
export function addTestHooks(
  app: Express,
  store: RecordStore,
  logger: Logger,
  disk: FaultyFileSystem | undefined,
): void {
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
  app.post(internalPaths.testDiskFault, rawBody, (req, res) => {
    const fault = messageBody<TestDiskFaultRequest>(req);
    const count = (n: unknown) => n === undefined || (Number.isSafeInteger(n) && (n as number) >= 0);
    if (
      disk === undefined ||
      !FAULT_OPS.includes(fault?.op as string) ||
      !FAULT_CODES.includes(fault?.code as string) ||
      !count(fault.after) ||
      !count(fault.times)
    ) {
      throw new RedoubtError(
        'INVALID_ARGUMENT',
        disk === undefined
          ? 'disk faults need the log engine (STORE_ENGINE=log)'
          : 'a disk fault is { op: write|fsync|unlink, code: EIO|ENOSPC, after?, times?, short? }',
      );
    }
    const armed = {
      op: fault.op,
      code: fault.code,
      after: fault.after,
      times: fault.times,
      short: fault.short === true,
    };
    disk.fail(armed);
    logger.warn({ fault: armed }, 'disk fault armed on request (test hook)');
    sendMessage(res, { armed });
  });
}
