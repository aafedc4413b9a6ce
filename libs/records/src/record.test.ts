import { describe, expect, it } from 'vitest';
import {
  assertIntact,
  decodeMessage,
  encodeMessage,
  isIntact,
  makeRecord,
  makeTombstone,
  validateKey,
  type StoredRecord,
} from './index.js';

const version = '000000000001.0000.w';

describe('records', () => {
  it('detect a flipped bit in the value or in any metadata field', () => {
    const record = makeRecord({
      key: 'k',
      value: Buffer.from('hello'),
      contentType: 'text/plain',
      version,
      tombstone: false,
    });
    expect(isIntact(record)).toBe(true);
    const flipped = Buffer.from(record.value);
    flipped[0]! ^= 1;
    expect(isIntact({ ...record, value: flipped })).toBe(false);
    expect(isIntact({ ...record, contentType: 'text/html' })).toBe(false);
    expect(isIntact({ ...record, tombstone: true })).toBe(false);
    expect(() => assertIntact({ ...record, key: 'j' })).toThrow(
      expect.objectContaining({ code: 'RECORD_CORRUPT' }),
    );
  });

  it('make tombstones with an empty value that still verify', () => {
    const tombstone = makeTombstone('gone', version);
    expect(tombstone.tombstone).toBe(true);
    expect(tombstone.value.byteLength).toBe(0);
    expect(isIntact(tombstone)).toBe(true);
  });

  it('survive the binary codec byte for byte', () => {
    const value = new Uint8Array([0, 255, 1, 254]);
    const record = makeRecord({
      key: 'ключ/🔑',
      value,
      contentType: 'application/octet-stream',
      version,
      tombstone: false,
    });
    const decoded = decodeMessage<StoredRecord>(encodeMessage(record));
    expect(Buffer.from(decoded.value).equals(Buffer.from(value))).toBe(true);
    expect(isIntact(decoded)).toBe(true);
  });

  it('reject undecodable frames with FRAME_INVALID', () => {
    expect(() => decodeMessage(new Uint8Array([0x92, 0x01]))).toThrow(
      expect.objectContaining({ code: 'FRAME_INVALID' }),
    );
  });

  it('accept keys of 1 to 1024 UTF-8 bytes only', () => {
    expect(validateKey('a')).toBe(1);
    expect(validateKey('é'.repeat(512))).toBe(1024);
    expect(() => validateKey('')).toThrow(expect.objectContaining({ code: 'KEY_EMPTY' }));
    expect(() => validateKey('é'.repeat(513))).toThrow(expect.objectContaining({ code: 'KEY_TOO_LONG' }));
    expect(() => validateKey('\ud800')).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
  });
});
