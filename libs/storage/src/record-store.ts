import { RedoubtError } from '@redoubt/errors';
import { DEFAULT_PARTITIONS, MAX_PARTITIONS } from '@redoubt/hashing';
import { LmdbRecordStore } from './lmdb-record-store.js';
import { LogRecordStore } from './log-record-store.js';
import type { RecordStore as Store, RecordStoreOptions } from './storage-types.js';

export type RecordStore = Store;

/**
 * Opens (creating if needed) the store in `options.path` with `options.engine`: `lmdb` (the default)
 * or `log` (see the storage README for the two and docs/decisions/0006 for why both).
 */
export const RecordStore = {
  open(options: RecordStoreOptions): RecordStore {
    const partitions = options.partitions ?? DEFAULT_PARTITIONS;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new RedoubtError('CONFIG_INVALID', `the partition count must be an integer in [1, 2^32]`, {
        partitions,
      });
    }
    const engine = options.engine ?? 'lmdb';
    if (engine === 'log') return new LogRecordStore({ ...options, partitions });
    if (engine === 'lmdb') return new LmdbRecordStore({ ...options, partitions });
    throw new RedoubtError('CONFIG_INVALID', `unknown storage engine ${JSON.stringify(engine)}: lmdb or log`);
  },
};
