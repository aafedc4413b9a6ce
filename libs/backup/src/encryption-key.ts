import { createHmac } from 'node:crypto';
import { RedoubtError } from '@redoubt/errors';

export const KEY_BYTES = 32;

/**
 * BACKUP_ENCRYPTION_KEY: 32 bytes as 64 hex digits or as base64 (44 characters with padding). Anything
 * else is refused rather than stretched: a key derived from a short passphrase would be weak.
 */
export function parseEncryptionKey(text: string, variable = 'BACKUP_ENCRYPTION_KEY'): Buffer {
  const trimmed = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]{42,43}=?$/.test(trimmed)) key = Buffer.from(trimmed, 'base64');
  if (key?.length !== KEY_BYTES) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      `${variable} must be 32 bytes as 64 hex digits or base64 (generate one with: openssl rand -hex 32)`,
      { variable },
    );
  }
  return key;
}

/**
 * A key check value stored in every manifest of an encrypted backup: HMAC-SHA-256 of a fixed label under
 * the key, truncated. It reveals nothing useful about the key, and lets a restore refuse a wrong key with
 * BACKUP_KEY_INVALID before it decrypts anything, instead of failing later with an authentication error
 * that looks like corruption.
 */
export function keyCheckOf(key: Buffer): string {
  return createHmac('sha256', key).update('redoubt backup key check v1').digest('hex').slice(0, 32);
}
