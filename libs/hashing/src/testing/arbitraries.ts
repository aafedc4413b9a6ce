import fc from 'fast-check';

/**
 * Any string of code points, lone surrogates included. Built from a plain integer arbitrary because
 * fast-check's own `unit: 'binary'` spends a couple of seconds building its tables on first use.
 */
export function anyString(maxLength: number): fc.Arbitrary<string> {
  const codePoint = fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0, max: 0x10ffff }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
  );
  return fc.string({ unit: codePoint.map((cp) => String.fromCodePoint(cp)), maxLength });
}

/** Any unsigned 64-bit value, with the word boundaries drawn more often than chance would. */
export const anyUint64 = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.constantFrom(0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n),
);
