import { expect } from 'vitest';
import type { StoredRecord } from '@redoubt/records';
import type { DataNodeClient } from '../data-node-client.js';
import type { BatchOp, BatchResult } from '../internal-protocol.js';

/**
 * Test support (not exported from the package): the per-op contract every batch transport keeps, checked
 * the same way for each. A fake node answers with `perOpAnswers`; `expectPerOpOutcomes` sends a put and
 * two gets at once and checks that each got its own outcome.
 */

/** Every put refused (WRONG_PARTITION); a get of `damaged` answered with a changed value; others `record`. */
export function perOpAnswers(ops: readonly BatchOp[], record: StoredRecord): BatchResult[] {
  return ops.map((op) =>
    op.op === 'put'
      ? { error: { code: 'WRONG_PARTITION', message: 'elsewhere' } }
      : op.key === 'damaged'
        ? { record: { ...record, value: Buffer.from('VALUE') } }
        : { record },
  );
}

/** The put fails with the node's code, the damaged record is refused, the intact one comes back. */
export async function expectPerOpOutcomes(c: DataNodeClient, record: StoredRecord): Promise<void> {
  const [put, damaged, fine] = await Promise.allSettled([
    c.put(0, record),
    c.get(0, 'damaged'),
    c.get(0, 'k'),
  ]);
  expect(put).toMatchObject({ status: 'rejected', reason: { code: 'WRONG_PARTITION' } });
  expect(damaged).toMatchObject({ status: 'rejected', reason: { code: 'RECORD_CORRUPT' } });
  expect(fine).toMatchObject({ status: 'fulfilled', value: { key: 'k', version: record.version } });
}
