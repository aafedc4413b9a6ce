import { RedoubtError } from '@redoubt/errors';
import { DEFAULT_PARTITIONS } from '@redoubt/hashing';
import { damageStoredRecord } from './record-layout.js';
import { RecordStore, openEnvironment } from './record-store.js';
import { placeKey, recordKey } from './storage-keys.js';

export interface CorruptOptions {
  /** The store's partition count, needed when `target` is a path. Default 4096. */
  partitions?: number;
  /**
   * `value` (default): the record fails its checksum, its bookkeeping header stays readable (the usual
   * bit rot in a value). `header`: the header is damaged too, so the store cannot even tell what the
   * record was (exercises the bucket recount path).
   */
  part?: 'value' | 'header';
}

/**
 * FOR TESTS ONLY: damages the stored bytes of one record in place, bypassing every check, the way bit rot
 * would. The bucket digests are left untouched, exactly as real rot would leave them. Reads, scans and
 * scrub then report RECORD_CORRUPT for the key (and never serve it), and any intact put of the key heals it.
 *
 * `target` is an open store, or the directory of a store; a directory may be in use by a running data
 * node (LMDB supports several processes on one environment), so tests can damage a live node's record.
 * Throws RECORD_NOT_FOUND if the key is absent.
 */
export async function corruptRecordForTest(
  target: RecordStore | string,
  partition: number,
  key: string,
  options: CorruptOptions = {},
): Promise<void> {
  const part = options.part ?? 'value';
  if (target instanceof RecordStore) {
    const { records, recordKey: keyOf } = target.rawRecordsForTest();
    damage(records, keyOf(partition, key), key, part);
    return;
  }
  const placed = placeKey(key, options.partitions ?? DEFAULT_PARTITIONS);
  if (placed.partition !== partition) {
    throw new RedoubtError(
      'WRONG_PARTITION',
      `key ${JSON.stringify(key)} belongs to partition ${placed.partition}`,
    );
  }
  const env = openEnvironment(target);
  try {
    const records = env.openDB<Buffer, Buffer>('records', { keyEncoding: 'binary', encoding: 'binary' });
    damage(records, recordKey(partition, placed.bucket, key), key, part);
  } finally {
    await env.close();
  }
}

function damage(
  records: { getBinary(key: Buffer): Buffer | undefined; putSync(key: Buffer, value: Buffer): void },
  lmdbKey: Buffer,
  key: string,
  part: 'value' | 'header',
): void {
  const bytes = records.getBinary(lmdbKey);
  if (bytes === undefined) {
    throw new RedoubtError('RECORD_NOT_FOUND', `no stored record for key ${JSON.stringify(key)}`);
  }
  records.putSync(lmdbKey, damageStoredRecord(bytes, part));
}
