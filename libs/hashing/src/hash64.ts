import { RedoubtError } from '@redoubt/errors';
import xxhash from 'xxhash-wasm';

/**
 * XXH64 with seed 0, from the `xxhash-wasm` package (xxHash compiled to WebAssembly, no native binary and no
 * install script; see the README for why it was chosen over the alternatives).
 *
 * The WebAssembly module is compiled once, when this module is first imported (top-level await), so that
 * `hash64` itself stays synchronous.
 */
const xxh = await xxhash();

/**
 * Stable unsigned 64-bit hash of a key: XXH64 (seed 0) over the key's bytes; a string is hashed as its UTF-8
 * encoding, so `hash64(s) === hash64(new TextEncoder().encode(s))` (lone surrogates encode as U+FFFD, exactly
 * as TextEncoder does).
 *
 * Stable forever: partitions, placement and every stored record depend on it, and the published XXH64 test
 * vectors pin it in the tests. Never change the algorithm or the seed.
 */
export function hash64(key: string | Uint8Array): bigint {
  if (typeof key === 'string') return xxh.h64(key);
  if (key instanceof Uint8Array) return xxh.h64Raw(key);
  throw new RedoubtError('INVALID_ARGUMENT', 'a key must be a string or a Uint8Array', { type: typeof key });
}
