import { describe, expect, it } from 'vitest';
import type { WriteRecord, WriteStatus } from '../history/write-history.js';
import type { ReadResult } from '../load/gateway-client.js';
import { checkRegisters } from './register-checker.js';
import { checkSet } from './set-checker.js';

let nextId = 0;
const version = (ms: number, writer = 'gw1') => `${ms.toString(16).padStart(12, '0')}.0000.${writer}`;

function write(
  key: string,
  value: string,
  status: WriteStatus,
  invokedAt: number,
  completedAt: number | null,
  v: string | null,
): WriteRecord {
  nextId += 1;
  return {
    id: nextId,
    key,
    value,
    gateway: 'http://127.0.0.1:8080',
    invokedAt,
    completedAt,
    status,
    version: v,
    httpStatus: status === 'ok' ? 201 : null,
    error: null,
    quorum: null,
  };
}
const found = (value: string, v: string): ReadResult => ({ status: 'found', value, version: v });

describe('the register check', () => {
  it('passes when the last acknowledged write of each key is what the read returns', () => {
    const writes = [
      write('k', 'v1', 'ok', 100, 110, version(100)),
      write('k', 'v2', 'ok', 200, 210, version(200)),
    ];
    const result = checkRegisters(writes, new Map([['k', found('v2', version(200))]]));
    expect(result).toMatchObject({ valid: true, overwrittenKeys: 1, writesChecked: 2, lostUpdates: [] });
  });

  it('finds the lost update a fast clock causes, which the set check counts as superseded', () => {
    // gw-fast's clock runs 30 s ahead: its write finished first yet carries the higher version, and the
    // later write was acknowledged (a stale reply counted toward W) with an older version.
    const early = write('k', 'early', 'ok', 100, 110, version(30_100, 'fast'));
    const late = write('k', 'late', 'ok', 500, 520, version(500, 'honest'));
    const reads = new Map([['k', found('early', version(30_100, 'fast'))]]);
    expect(checkSet([early, late], reads).valid).toBe(true);
    const result = checkRegisters([early, late], reads);
    expect(result.valid).toBe(false);
    expect(result.lostUpdates).toEqual([
      {
        key: 'k',
        lost: { id: late.id, value: 'late', version: late.version, invokedAt: 500 },
        read: { id: early.id, version: early.version, completedAt: 110 },
      },
    ]);
  });

  it('accepts any order between overlapping writes', () => {
    const a = write('k', 'a', 'ok', 100, 300, version(100));
    const b = write('k', 'b', 'ok', 200, 250, version(200));
    expect(checkRegisters([a, b], new Map([['k', found('a', version(100))]])).valid).toBe(true);
  });

  it('lets an unknown write surface late: it may take effect any time after it was sent', () => {
    const unknown = write('k', 'u', 'unknown', 100, 110, null);
    const acked = write('k', 'v', 'ok', 500, 520, version(500));
    expect(checkRegisters([unknown, acked], new Map([['k', found('u', version(600))]])).valid).toBe(true);
  });

  it('leaves missing and unreadable keys to the set check', () => {
    const a = write('k', 'a', 'ok', 100, 110, version(100));
    const result = checkRegisters(
      [a],
      new Map([['k', { status: 'missing', deletedVersion: null } as const]]),
    );
    expect(result).toMatchObject({ valid: true, writesChecked: 0 });
  });
});
