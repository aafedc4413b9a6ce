import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareVersions, formatVersion, isValidVersion, parseVersion, ZERO_VERSION } from './index.js';

const parts = fc.record({
  wall: fc.integer({ min: 0, max: 0xffffffffffff }),
  logical: fc.integer({ min: 0, max: 0xffff }),
  writer: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
});

describe('versions', () => {
  it('round-trip through their string form', () => {
    fc.assert(
      fc.property(parts, (p) => {
        expect(parseVersion(formatVersion(p))).toEqual(p);
      }),
    );
  });

  it('order by wall clock, then logical counter, then writer id, by plain string comparison', () => {
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        const expected =
          a.wall !== b.wall
            ? Math.sign(a.wall - b.wall)
            : a.logical !== b.logical
              ? Math.sign(a.logical - b.logical)
              : 0;
        const actual = compareVersions(formatVersion(a), formatVersion(b));
        if (expected !== 0) expect(actual).toBe(expected);
        else if (a.writer === b.writer) expect(actual).toBe(0);
        else expect(actual).toBe(a.writer < b.writer ? -1 : 1); // deterministic tie-break
      }),
    );
  });

  it('has a zero version older than anything a clock makes', () => {
    expect(isValidVersion(ZERO_VERSION)).toBe(true);
    expect(compareVersions(ZERO_VERSION, formatVersion({ wall: 1, logical: 0, writer: 'a' }))).toBe(-1);
  });

  it('rejects malformed versions and writer ids', () => {
    expect(isValidVersion('nope')).toBe(false);
    expect(isValidVersion('00000000000g.0000.a')).toBe(false);
    expect(() => formatVersion({ wall: 1, logical: 0, writer: 'has space' })).toThrow(/writer id/);
    expect(() => parseVersion('x')).toThrow(expect.objectContaining({ code: 'VERSION_INVALID' }));
  });
});
