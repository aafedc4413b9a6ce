import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStrategy } from './create-strategy.js';
import { hash64 } from './hash64.js';
import { jumpHash } from './jump-hash.js';
import { expectRedoubtError } from './testing/expect-redoubt-error.js';
import { serverIds } from './testing/key-hashes.js';
import { anyUint64 } from './testing/arbitraries.js';

const keyHash = anyUint64;

describe('jump strategy', () => {
  it('maps a key hash to servers[jumpHash(h, m)]', () => {
    fc.assert(
      fc.property(keyHash, fc.integer({ min: 1, max: 300 }), (key, m) => {
        const servers = serverIds(m);
        expect(createStrategy('jump', servers).serverFor(key)).toBe(servers[jumpHash(key, m)]!.id);
      }),
      { numRuns: 500 },
    );
  });

  it('stays pinned for fixed servers and keys', () => {
    const keys = ['user:1', 'user:2', 'user:3', 'user:4', 'user:5', 'user:6', 'user:7', 'user:8'];
    const jump = createStrategy(
      'jump',
      ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })),
    );
    expect(keys.map((k) => jump.serverFor(hash64(k))).join('')).toBe('cabeaebc');
  });

  it('appending a server moves keys only to it; removing the last moves only that server’s keys', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(keyHash, { minLength: 50, maxLength: 50 }),
        (m, keys) => {
          const small = createStrategy('jump', serverIds(m));
          const large = createStrategy('jump', serverIds(m + 1));
          const newcomer = `s${m}`;
          for (const key of keys) {
            const before = small.serverFor(key);
            const after = large.serverFor(key);
            expect(after === before || after === newcomer).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses unequal weights (it cannot honour them) with INVALID_ARGUMENT', () => {
    expectRedoubtError(
      () =>
        createStrategy('jump', [
          { id: 'a', weight: 1 },
          { id: 'b', weight: 0.5 },
        ]),
      'INVALID_ARGUMENT',
    );
  });
});
