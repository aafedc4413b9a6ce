import { RedoubtError } from '@redoubt/errors';
import { DEFAULT_PARTITIONS } from '@redoubt/hashing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { damageLmdbRecord, openEnvironment } from './lmdb-record-store.js';
import { damageInLog } from './log-damage.js';
import { LOG_DIR } from './log-files.js';
import type { RecordStore } from './storage-types.js';
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
 * node (LMDB supports several processes on one environment; in a log, the newest frame of the key is
 * damaged in place and the running node reads the damage from disk), so tests can damage a live node's record.
 * Throws RECORD_NOT_FOUND if the key is absent.
 */
export async function corruptRecordForTest(
  target: RecordStore | string,
  partition: number,
  key: string,
  options: CorruptOptions = {},
): Promise<void> {
  const part = options.part ?? 'value';
  if (typeof target !== 'string') {
    target.damageForTest(partition, key, part);
    return;
  }
  const placed = placeKey(key, options.partitions ?? DEFAULT_PARTITIONS);
  if (placed.partition !== partition) {
    throw new RedoubtError(
      'WRONG_PARTITION',
      `key ${JSON.stringify(key)} belongs to partition ${placed.partition}`,
    );
  }
  if (existsSync(join(target, LOG_DIR))) {
    damageInLog(join(target, LOG_DIR), options.partitions ?? DEFAULT_PARTITIONS, partition, key, part);
    return;
  }
  const env = openEnvironment(target);
  try {
    const records = env.openDB<Buffer, Buffer>('records', { keyEncoding: 'binary', encoding: 'binary' });
    damageLmdbRecord(records, recordKey(partition, placed.bucket, key), key, part);
  } finally {
    await env.close();
  }
}
