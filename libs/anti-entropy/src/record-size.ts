import type { StoredRecord } from '@redoubt/records';

/** Bytes a record costs to move: its value plus the metadata that travels with it. */
export function recordBytes(record: StoredRecord): number {
  return (
    record.value.byteLength +
    Buffer.byteLength(record.key) +
    record.version.length +
    record.contentType.length +
    8
  );
}
