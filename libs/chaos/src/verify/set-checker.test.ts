import { describe, expect, it } from 'vitest';
import type { WriteRecord, WriteStatus } from '../history/write-history.js';
import type { ReadResult } from '../load/gateway-client.js';
import { checkSet } from './set-checker.js';

let nextId = 0;
const version = (ms: number, writer = 'gw1') => `${ms.toString(16).padStart(12, '0')}.0000.${writer}`;

function write(
  key: string,
  value: string,
  status: WriteStatus,
  extra: Partial<WriteRecord> = {},
): WriteRecord {
  nextId += 1;
  return {
    id: nextId,
    key,
    value,
    gateway: 'http://127.0.0.1:8080',
    invokedAt: nextId,
    completedAt: nextId + 1,
    status,
    version: null,
    httpStatus: status === 'ok' ? 201 : null,
    error: null,
    quorum: null,
    ...extra,
  };
}

const found = (value: string, v: string): ReadResult => ({ status: 'found', value, version: v });
const missing: ReadResult = { status: 'missing', deletedVersion: null };

describe('the set checker', () => {
  it('passes when every acknowledged write reads back with its value', () => {
    const writes = [
      write('a', 'va', 'ok', { version: version(1) }),
      write('b', 'vb', 'ok', { version: version(2) }),
    ];
    const result = checkSet(
      writes,
      new Map([
        ['a', found('va', version(1))],
        ['b', found('vb', version(2))],
      ]),
    );
    expect(result.valid).toBe(true);
    expect(result.counts).toMatchObject({ attempted: 2, acknowledged: 2, lost: 0, unexpected: 0 });
  });

  it('finds a lost write: the key is gone', () => {
    const writes = [write('a', 'va', 'ok', { version: version(1) })];
    const result = checkSet(writes, new Map([['a', missing]]));
    expect(result.valid).toBe(false);
    expect(result.lost).toEqual([expect.objectContaining({ key: 'a', value: 'va', read: 'not found' })]);
  });

  it('finds a lost write: an older value came back', () => {
    const older = write('a', 'v-old', 'ok', { version: version(1) });
    const newer = write('a', 'v-new', 'ok', { version: version(5) });
    const result = checkSet([older, newer], new Map([['a', found('v-old', version(1))]]));
    expect(result.counts.lost).toBe(1);
    expect(result.lost[0]).toMatchObject({ id: newer.id, value: 'v-new' });
  });

  it('accepts a newer value in place of an acknowledged one (last writer wins)', () => {
    const first = write('a', 'v1', 'ok', { version: version(1) });
    const second = write('a', 'v2', 'ok', { version: version(2) });
    const result = checkSet([first, second], new Map([['a', found('v2', version(2))]]));
    expect(result.valid).toBe(true);
    expect(result.counts.superseded).toBe(1);
  });

  it('accepts a newer value from a write whose outcome was unknown, and counts it as recovered', () => {
    const acked = write('a', 'v1', 'ok', { version: version(1) });
    const doubtful = write('a', 'v2', 'unknown', { error: 'TIMEOUT' });
    const result = checkSet([acked, doubtful], new Map([['a', found('v2', version(3))]]));
    expect(result.valid).toBe(true);
    expect(result.counts).toMatchObject({ superseded: 1, recoveredUnknown: 1, unknown: 1 });
    expect(result.recoveredUnknown).toEqual([{ id: doubtful.id, key: 'a', value: 'v2' }]);
  });

  it('lets an unknown write be absent (it may never have been applied)', () => {
    const result = checkSet([write('a', 'v1', 'unknown')], new Map([['a', missing]]));
    expect(result.valid).toBe(true);
    expect(result.counts).toMatchObject({ unknown: 1, recoveredUnknown: 0, lost: 0 });
  });

  it('flags a value that no write of the run produced', () => {
    const result = checkSet(
      [write('a', 'v1', 'ok', { version: version(1) })],
      new Map([['a', found('who wrote this?', version(9))]]),
    );
    expect(result.valid).toBe(false);
    expect(result.unexpected).toEqual([
      expect.objectContaining({ key: 'a', reason: 'no write of this run produced it' }),
    ]);
  });

  it('flags the value of a write that definitely failed, but not of one some replica confirmed', () => {
    const refused = write('a', 'va', 'failed', {
      error: 'QUORUM_NOT_REACHED',
      quorum: { confirmed: 0, required: 2, unknown: 0 },
    });
    const partial = write('b', 'vb', 'failed', {
      error: 'QUORUM_NOT_REACHED',
      quorum: { confirmed: 1, required: 2, unknown: 0 },
    });
    const result = checkSet(
      [refused, partial],
      new Map([
        ['a', found('va', version(1))],
        ['b', found('vb', version(2))],
      ]),
    );
    expect(result.unexpected.map((u) => u.key)).toEqual(['a']);
    expect(result.counts.failedVisible).toBe(1);
  });

  it('cannot pass when an acknowledged write could not be read back', () => {
    const result = checkSet(
      [write('a', 'va', 'ok', { version: version(1) })],
      new Map<string, ReadResult>([['a', { status: 'error', error: 'QUORUM_NOT_REACHED', httpStatus: 503 }]]),
    );
    expect(result.valid).toBe(false);
    expect(result.unreadable).toEqual([{ key: 'a', error: 'QUORUM_NOT_REACHED' }]);
  });
});
