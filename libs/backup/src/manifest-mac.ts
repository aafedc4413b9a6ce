import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { RedoubtError } from '@redoubt/errors';
import { canonicalJson, sealManifest, type BackupManifest, type ManifestBody } from './manifest.js';

/**
 * Signed manifests (docs/decisions/0008-backup-encryption-and-signing.md). The SHA-256 `checksum` of a manifest
 * catches damage, but anyone who can write to a target can recompute it; the `mac` is an HMAC-SHA-256 of
 * the same canonical JSON under a signing key that lives with the worker and the CLI (environment, or the
 * local stack's key files), never in Redis or on a target. It covers every field, so it also binds the
 * manifest to its partition, backup id and target, its segments' SHA-256 values and its key check value.
 */
export interface ManifestSigning {
  /** 32 bytes: BACKUP_SIGNING_KEY, or derived from BACKUP_ENCRYPTION_KEY (deriveSigningKey). */
  key: Buffer;
  /**
   * Accept format-1 manifests (written before signing existed) on their SHA-256 alone:
   * BACKUP_ACCEPT_UNSIGNED=true, for a migration only — anyone with write access to a target can forge one.
   */
  acceptUnsigned?: boolean;
  /** Where the key came from, for messages (default BACKUP_SIGNING_KEY). */
  source?: string;
}

const MAC_LABEL = 'redoubt.backup.manifest.v2\n';

/**
 * The signing key when only BACKUP_ENCRYPTION_KEY is configured: HKDF-SHA-256 with its own label, so the
 * MAC key and the encryption key are independent even though one secret backs both.
 */
export function deriveSigningKey(encryptionKey: Buffer): Buffer {
  return Buffer.from(
    hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'redoubt backup manifest mac v1', 32),
  );
}

/** Names a signing key without revealing it (truncated HMAC of a fixed label), so "signed with another key" is told apart. */
export function signingKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('redoubt backup signing key id v1').digest('hex').slice(0, 32);
}

function macOf(body: ManifestBody, key: Buffer): Buffer {
  return createHmac('sha256', key)
    .update(MAC_LABEL + canonicalJson(body))
    .digest();
}

/** The complete manifest: body, SHA-256 checksum and MAC. */
export function signManifest(body: ManifestBody, signing: ManifestSigning): BackupManifest {
  return {
    ...sealManifest(body),
    mac: {
      algorithm: 'hmac-sha256',
      keyId: signingKeyId(signing.key),
      value: macOf(body, signing.key).toString('hex'),
    },
  };
}

/**
 * Throws BACKUP_MANIFEST_UNAUTHENTIC naming `file` unless the manifest carries a valid MAC under the signing
 * key (constant-time compare), or is a format-1 manifest and unsigned ones are accepted for a migration.
 */
export function authenticateManifest(manifest: BackupManifest, file: string, signing: ManifestSigning): void {
  const refuse = (what: string) =>
    new RedoubtError('BACKUP_MANIFEST_UNAUTHENTIC', `manifest ${file}: ${what}`, { file });
  const { checksum: _checksum, mac, ...body } = manifest;
  if (!mac) {
    if (manifest.formatVersion === 1 && signing.acceptUnsigned) return;
    throw refuse(
      'is not signed (written before backups were signed, or forged); it is refused unless ' +
        'BACKUP_ACCEPT_UNSIGNED=true is set for a migration',
    );
  }
  const ours = signingKeyId(signing.key);
  if (mac.keyId !== ours) {
    throw refuse(
      `is signed with another signing key (key id ${mac.keyId}; ${signing.source ?? 'BACKUP_SIGNING_KEY'} has key id ${ours})`,
    );
  }
  const expected = macOf(body, signing.key);
  const actual = Buffer.from(mac.value, 'hex');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw refuse('its MAC does not verify under the signing key (edited or forged)');
  }
}
