import { crc32 } from 'node:zlib';
import { RedoubtError } from '@redoubt/errors';
import type { Version } from './version.js';

/**
 * One version of one key, as stored on a data node and sent between nodes. A delete is a record too
 * (a tombstone with an empty value), so that it replicates and wins over older writes like any write.
 */
export interface StoredRecord {
  key: string;
  value: Uint8Array;
  contentType: string;
  version: Version;
  tombstone: boolean;
  /** CRC-32 over every other field; verified on every read. */
  checksum: number;
}

export type RecordFields = Omit<StoredRecord, 'checksum'>;

const EMPTY = new Uint8Array(0);

/**
 * CRC-32 (zlib's, native in Node) over a header of the metadata and then the value bytes, so a flipped bit
 * in any field, not just the value, is caught. CRC-32 is for detecting rot, not for adversaries: the
 * cluster token guards the internal API.
 */
export function checksumOf(fields: RecordFields): number {
  const header = `${fields.key}\u0000${fields.version}\u0000${fields.contentType}\u0000${fields.tombstone ? 1 : 0}`;
  return crc32(fields.value, crc32(header)) >>> 0;
}

/** The fields named one by one (no spread): every record gets the same shape, and nothing else rides along. */
export function makeRecord(fields: RecordFields): StoredRecord {
  const record: StoredRecord = {
    key: fields.key,
    value: fields.tombstone ? EMPTY : fields.value,
    contentType: fields.contentType,
    version: fields.version,
    tombstone: fields.tombstone,
    checksum: 0,
  };
  record.checksum = checksumOf(record);
  return record;
}

export function makeTombstone(key: string, version: Version): StoredRecord {
  return makeRecord({ key, value: EMPTY, contentType: 'application/octet-stream', version, tombstone: true });
}

export function isIntact(record: StoredRecord): boolean {
  return checksumOf(record) === record.checksum;
}

/** Throws RECORD_CORRUPT, naming the key and version, when the checksum does not match. */
export function assertIntact(record: StoredRecord, where = 'record'): StoredRecord {
  if (!isIntact(record)) {
    throw new RedoubtError(
      'RECORD_CORRUPT',
      `${where} for key ${JSON.stringify(record.key)} failed its checksum`,
      {
        key: record.key,
        version: record.version,
      },
    );
  }
  return record;
}
