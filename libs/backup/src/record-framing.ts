import { LengthPrefixedSplitter } from '@redoubt/cluster-client';
import { RedoubtError } from '@redoubt/errors';
import { decodeMessage, encodeMessage, isIntact, isValidVersion, type StoredRecord } from '@redoubt/records';

/** Largest record frame accepted when reading (a value is at most a few MiB; this bounds a corrupt length). */
export const MAX_RECORD_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * The plaintext of a segment is a sequence of records, each a 4-byte big-endian length and the record as
 * MessagePack (the same codec as the internal protocol). Self-delimiting, so a segment streams through
 * decompression and decryption without an index.
 */
export function encodeRecordFrame(record: StoredRecord): Buffer {
  const body = encodeMessage({
    key: record.key,
    value: record.value,
    contentType: record.contentType,
    version: record.version,
    tombstone: record.tombstone,
    checksum: record.checksum,
  });
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** A record read from a segment, and the MessagePack it was decoded from. */
export interface RecordWithPayload {
  record: StoredRecord;
  payload: Buffer;
}

/** Splits decompressed bytes back into records; every record is checked (shape and CRC) as it comes out. */
export class RecordFrameDecoder {
  private readonly splitter = new LengthPrefixedSplitter((length) => {
    if (length === 0 || length > MAX_RECORD_FRAME_BYTES) {
      throw this.corrupt(`a record frame claims ${length} bytes`);
    }
    return 4 + length;
  });

  /** `where` names the segment in errors. */
  constructor(private readonly where: string) {}

  *push(chunk: Buffer): Generator<StoredRecord> {
    for (const frame of this.splitter.push(chunk)) yield this.decode(frame.subarray(4));
  }

  /** As push, with each record's MessagePack bytes (what the internal protocol frames as they are). */
  *pushFrames(chunk: Buffer): Generator<RecordWithPayload> {
    for (const frame of this.splitter.push(chunk)) {
      const payload = frame.subarray(4);
      yield { record: this.decode(payload), payload };
    }
  }

  /** Throws if the stream ended inside a record. */
  finish(): void {
    const left = this.splitter.bufferedBytes;
    if (left !== 0) throw this.corrupt(`the segment ends inside a record (${left} bytes left)`);
  }

  private decode(bytes: Buffer): StoredRecord {
    let record: StoredRecord;
    try {
      record = decodeMessage<StoredRecord>(bytes);
    } catch {
      throw this.corrupt('a record could not be decoded');
    }
    if (
      typeof record !== 'object' ||
      record === null ||
      typeof record.key !== 'string' ||
      !(record.value instanceof Uint8Array) ||
      typeof record.contentType !== 'string' ||
      !isValidVersion(record.version) ||
      typeof record.tombstone !== 'boolean' ||
      typeof record.checksum !== 'number' ||
      !isIntact(record)
    ) {
      throw this.corrupt(
        `record ${JSON.stringify((record as { key?: unknown } | null)?.key ?? null)} failed its checksum`,
      );
    }
    return record;
  }

  private corrupt(what: string): RedoubtError {
    return new RedoubtError('BACKUP_CORRUPT', `${this.where}: ${what}`, { file: this.where });
  }
}
