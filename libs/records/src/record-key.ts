import { RedoubtError } from '@redoubt/errors';

export const MAX_KEY_BYTES = 1024;

/** Keys are 1..1024 bytes of UTF-8. Returns the byte length, or throws KEY_EMPTY / KEY_TOO_LONG / KEY_INVALID. */
export function validateKey(key: unknown, maxBytes = MAX_KEY_BYTES): number {
  if (typeof key !== 'string') throw new RedoubtError('KEY_INVALID', 'the key must be a string');
  if (key.length === 0) throw new RedoubtError('KEY_EMPTY', 'the key must not be empty');
  if (!key.isWellFormed())
    throw new RedoubtError('KEY_INVALID', 'the key is not well-formed UTF-8 (lone surrogate)');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > maxBytes) {
    throw new RedoubtError('KEY_TOO_LONG', `the key is ${bytes} bytes; the limit is ${maxBytes}`, {
      bytes,
      limit: maxBytes,
    });
  }
  return bytes;
}
