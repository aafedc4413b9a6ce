import { makeRecord, makeTombstone, type StoredRecord } from '../record.js';
import { formatVersion, type Version } from '../version.js';

/** A record (not a tombstone) of a string or byte value. */
export function testRecord(
  key: string,
  value: string | Uint8Array,
  version: Version,
  contentType = 'text/plain',
): StoredRecord {
  return makeRecord({
    key,
    value: typeof value === 'string' ? Buffer.from(value) : value,
    contentType,
    version,
    tombstone: false,
  });
}

/**
 * Records for tests, each version newer than the ones this maker made before (the wall clock and a
 * counter in the logical part), all with one content type.
 */
export class TestRecords {
  private counter = 0;

  constructor(private readonly contentType = 'application/octet-stream') {}

  nextVersion(writer = 'gwtest'): Version {
    this.counter += 1;
    return formatVersion({ wall: Date.now(), logical: this.counter % 0xffff, writer });
  }

  record(key: string, value: string | Uint8Array, version = this.nextVersion()): StoredRecord {
    return testRecord(key, value, version, this.contentType);
  }

  tombstone(key: string, version = this.nextVersion()): StoredRecord {
    return makeTombstone(key, version);
  }
}
