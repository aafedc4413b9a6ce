import { RedoubtError } from '@redoubt/errors';

/**
 * Splits an unsigned 64-bit bigint into two 32-bit numbers without allocating.
 *
 * Every hot path in this library (jump hash, partition, rendezvous, ring) works on the two 32-bit halves of a
 * key hash with plain number arithmetic, because BigInt arithmetic allocates and is roughly an order of
 * magnitude slower. Storing the bigint into a one-element BigUint64Array and reading the same bytes back through
 * a Uint32Array view is the cheapest split V8 offers (faster than `>> 32n` / `BigInt.asUintN`, and than DataView).
 */
const scratch64 = new BigUint64Array(1);
const scratch32 = new Uint32Array(scratch64.buffer);

// The view follows the platform's byte order; pick the word indices once instead of assuming little-endian.
scratch64[0] = 1n;
const LO_INDEX = scratch32[0] === 1 ? 0 : 1;
const HI_INDEX = 1 - LO_INDEX;

export const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;

/**
 * Loads `value` into the scratch words; read them with {@link loadedHi} / {@link loadedLo} before the next load.
 * Throws INVALID_ARGUMENT for anything that is not a bigint in [0, 2^64): a key hash out of range is a bug in
 * the caller, and wrapping it silently would place the key somewhere nobody expects.
 */
export function loadUint64(value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_UINT64) throw invalidKeyHash(value);
  scratch64[0] = value;
}

/** High 32 bits of the last loaded value, as an unsigned number. */
export function loadedHi(): number {
  return scratch32[HI_INDEX];
}

/** Low 32 bits of the last loaded value, as an unsigned number. */
export function loadedLo(): number {
  return scratch32[LO_INDEX];
}

/** Joins two unsigned 32-bit halves into a bigint (allocates; for tests and cold paths). */
export function joinUint64(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function invalidKeyHash(value: unknown): RedoubtError {
  const shown = typeof value === 'bigint' ? value.toString() : typeof value;
  return new RedoubtError('INVALID_ARGUMENT', 'a key hash must be a bigint in [0, 2^64)', { keyHash: shown });
}
