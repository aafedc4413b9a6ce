import { isRedoubtError } from '@redoubt/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { build, fromBinary, fromJSON, rebalance, toBinary, toJSON, type PlacementMatrix } from './index.js';
import { placementInputArb } from './testing/arbitraries.js';

const servers = Array.from({ length: 5 }, (_, i) => ({
  id: `node-${i}`,
  zone: `zone-${i % 3}`,
  weight: 1 + i / 2,
}));
const sample = rebalance(build(servers, { partitions: 64, replicas: 3, epoch: 41 }), servers.slice(1));

function expectSame(a: PlacementMatrix, b: PlacementMatrix): void {
  expect([b.epoch, b.partitions, b.replicas]).toEqual([a.epoch, a.partitions, a.replicas]);
  expect(b.servers).toEqual(a.servers);
  expect(Array.from(b.cells)).toEqual(Array.from(a.cells));
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isRedoubtError(error) ? error.code : `not a RedoubtError: ${String(error)}`;
  }
  return undefined;
}

describe('codec', () => {
  it('round-trips any matrix through JSON, JSON text and binary, with the same checksum in both forms', () => {
    fc.assert(
      fc.property(placementInputArb({ maxPartitions: 300 }), fc.nat(1000), (input, epoch) => {
        const m = build(input.servers, { ...input, epoch });
        const json = toJSON(m);
        expectSame(m, fromJSON(json));
        expectSame(m, fromJSON(JSON.stringify(json)));
        const bytes = toBinary(m);
        expectSame(m, fromBinary(bytes));
        expect(json.checksum).toBe(
          `sha256:${Buffer.from(bytes.subarray(bytes.length - 32)).toString('hex')}`,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('is compact: two bytes per cell plus the server list', () => {
    const m = build(servers, { partitions: 4096, replicas: 3 });
    expect(toBinary(m).length).toBeLessThan(4096 * 3 * 2 + 200);
  });

  it('rejects a binary form with any flipped byte, and a flipped cell as a checksum mismatch', () => {
    const bytes = toBinary(sample);
    for (let i = 0; i < bytes.length; i++) {
      const damaged = bytes.slice();
      damaged[i]! ^= 0x5a;
      expect(['PLACEMENT_CHECKSUM_MISMATCH', 'PLACEMENT_DECODE_FAILED']).toContain(
        codeOf(() => fromBinary(damaged)),
      );
    }
    const cell = bytes.slice();
    cell[bytes.length - 40]! ^= 1; // inside the cells
    expect(codeOf(() => fromBinary(cell))).toBe('PLACEMENT_CHECKSUM_MISMATCH');
  });

  it('rejects truncated, padded and foreign binary input as undecodable', () => {
    const bytes = toBinary(sample);
    expect(codeOf(() => fromBinary(bytes.subarray(0, bytes.length - 1)))).toBe('PLACEMENT_DECODE_FAILED');
    expect(codeOf(() => fromBinary(new Uint8Array([...bytes, 0])))).toBe('PLACEMENT_DECODE_FAILED');
    expect(codeOf(() => fromBinary(new Uint8Array(10)))).toBe('PLACEMENT_DECODE_FAILED');
    expect(
      codeOf(() => fromBinary(new TextEncoder().encode('{"format":"redoubt.placement"}'.repeat(3)))),
    ).toBe('PLACEMENT_DECODE_FAILED');
    const future = bytes.slice();
    future[4] = 2;
    expect(codeOf(() => fromBinary(future))).toBe('PLACEMENT_DECODE_FAILED');
  });

  it('rejects JSON whose content does not match its checksum: a changed cell, epoch or weight', () => {
    const json = toJSON(sample);
    const cells = Buffer.from(json.cells, 'base64');
    cells[0]! ^= 1;
    expect(codeOf(() => fromJSON({ ...json, cells: cells.toString('base64') }))).toBe(
      'PLACEMENT_CHECKSUM_MISMATCH',
    );
    expect(codeOf(() => fromJSON({ ...json, epoch: json.epoch + 1 }))).toBe('PLACEMENT_CHECKSUM_MISMATCH');
    const reweighted = json.servers.map((s, i) => (i === 0 ? { ...s, weight: s.weight + 1 } : s));
    expect(codeOf(() => fromJSON({ ...json, servers: reweighted }))).toBe('PLACEMENT_CHECKSUM_MISMATCH');
  });

  it('rejects malformed JSON with a message that names the field', () => {
    const json = toJSON(sample);
    const cases: Array<[unknown, string]> = [
      ['{not json', 'not valid JSON'],
      [null, 'input'],
      [{ ...json, format: 'other' }, 'format'],
      [{ ...json, version: 2 }, 'version'],
      [{ ...json, partitions: 0 }, 'partitions'],
      [{ ...json, cells: 'not*base64' }, 'cells'],
      [{ ...json, cells: json.cells.slice(8) }, 'bytes of cells'],
      [{ ...json, checksum: 'md5:abc' }, 'checksum'],
      [{ ...json, servers: json.servers.slice(1) }, ''],
    ];
    for (const [input, mention] of cases) {
      try {
        fromJSON(input);
        expect.unreachable();
      } catch (error) {
        expect(isRedoubtError(error)).toBe(true);
        expect(['PLACEMENT_DECODE_FAILED', 'PLACEMENT_CHECKSUM_MISMATCH']).toContain(
          (error as { code: string }).code,
        );
        expect((error as Error).message).toContain(mention);
      }
    }
  });

  it('rejects well-formed input that is not a matrix, even with a correct checksum', () => {
    const json = toJSON(sample);
    // Re-encode with a duplicate server id, then with a cell pointing past the server list.
    const dup = toJSON({ ...sample, servers: [...sample.servers.slice(0, -1), sample.servers[0]!] });
    expect(codeOf(() => fromJSON(dup))).toBe('PLACEMENT_DECODE_FAILED');
    const cells = sample.cells.slice();
    cells[0] = sample.servers.length;
    expect(codeOf(() => fromBinary(toBinary({ ...sample, cells })))).toBe('PLACEMENT_DECODE_FAILED');
    expect(json.epoch).toBe(42);
  });
});
