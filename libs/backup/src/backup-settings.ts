import { tmpdir } from 'node:os';
import { env, loadConfig, z } from '@redoubt/config';
import { RedoubtError } from '@redoubt/errors';
import {
  DEFAULT_BACKUP_COPIES,
  openDirectoryTarget,
  parseBackupTargets,
  type BackupStoreOpener,
  type BackupTarget,
} from './backup-targets.js';
import { DEFAULT_MAX_CHAIN, DEFAULT_OVERLAP_MS, DEFAULT_SEGMENT_BYTES } from './backup-partition.js';
import { DEFAULT_COMPRESSION, parseCompression, type Compression } from './compression.js';
import { parseEncryptionKey } from './encryption-key.js';
import { deriveSigningKey, type ManifestSigning } from './manifest-mac.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from './retention.js';

/** Cadences of the scheduled backup work (ms; 0 switches one off). */
export interface BackupCadence {
  fullEveryMs: number;
  incrementalEveryMs: number;
  drillEveryMs: number;
  verifyEveryMs: number;
}

export const DEFAULT_CADENCE: BackupCadence = {
  fullEveryMs: 86_400_000,
  incrementalEveryMs: 60_000,
  drillEveryMs: 3_600_000,
  verifyEveryMs: 86_400_000,
};

/** Everything backup and restore code needs besides the cluster itself. */
export interface BackupSettings {
  targets: BackupTarget[];
  copies: number;
  /** AES-256-GCM key (BACKUP_ENCRYPTION_KEY); when set, plaintext backups are refused too. */
  key: Buffer | undefined;
  /** The manifest signing key (BACKUP_SIGNING_KEY, else derived from the encryption key). */
  signing: ManifestSigning;
  compression: Compression;
  segmentBytes: number;
  overlapMs: number;
  maxChain: number;
  retention: RetentionPolicy;
  cadence: BackupCadence;
  drillSample: number;
  scratchDir: string;
}

const text = (fallback?: string) =>
  fallback === undefined ? z.string().optional() : z.string().default(fallback);

/**
 * The BACKUP_* environment (documented in libs/backup/README.md). The worker reads it with
 * `loadBackupSettings(process.env)`; the CLI passes its own defaults (the local stack's targets).
 */
export const backupEnvSchema = z.object({
  BACKUP_TARGETS: z
    .string()
    .min(
      1,
      'must be id=/path or id=s3://bucket/prefix?..., comma-separated (e.g. t1=/backups/t1,t2=/backups/t2)',
    ),
  BACKUP_COPIES: env.positiveInt().default(DEFAULT_BACKUP_COPIES),
  BACKUP_ENCRYPTION_KEY: text(),
  BACKUP_SIGNING_KEY: text(),
  BACKUP_ACCEPT_UNSIGNED: env.booleanFlag().default(false),
  BACKUP_COMPRESSION: text('brotli:1'),
  BACKUP_SEGMENT_BYTES: env.positiveInt().min(4096).default(DEFAULT_SEGMENT_BYTES),
  BACKUP_OVERLAP_MS: env.nonNegativeInt().default(DEFAULT_OVERLAP_MS),
  BACKUP_MAX_CHAIN: env.positiveInt().default(DEFAULT_MAX_CHAIN),
  BACKUP_KEEP_LAST: env.positiveInt().default(DEFAULT_RETENTION.keepLast),
  BACKUP_KEEP_DAILY: env.nonNegativeInt().default(DEFAULT_RETENTION.keepDaily),
  BACKUP_INCOMPLETE_GRACE_MS: env.nonNegativeInt().default(DEFAULT_RETENTION.incompleteGraceMs!),
  BACKUP_FULL_EVERY_MS: env.nonNegativeInt().default(DEFAULT_CADENCE.fullEveryMs),
  BACKUP_INCREMENTAL_EVERY_MS: env.nonNegativeInt().default(DEFAULT_CADENCE.incrementalEveryMs),
  BACKUP_DRILL_EVERY_MS: env.nonNegativeInt().default(DEFAULT_CADENCE.drillEveryMs),
  BACKUP_VERIFY_EVERY_MS: env.nonNegativeInt().default(DEFAULT_CADENCE.verifyEveryMs),
  BACKUP_DRILL_SAMPLE: env.positiveInt().default(4),
  BACKUP_SCRATCH_DIR: text(),
});

/**
 * `openStore` turns each BACKUP_TARGETS entry into its store: the default opens directories only; the
 * worker and the CLI pass `openBackupStore` of @redoubt/backup-stores (directories and s3:// targets).
 */
export function loadBackupSettings(
  source: NodeJS.ProcessEnv = process.env,
  defaults: Partial<Record<keyof z.infer<typeof backupEnvSchema>, string>> = {},
  openStore: BackupStoreOpener = openDirectoryTarget,
): BackupSettings {
  const merged: NodeJS.ProcessEnv = { ...defaults };
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') merged[k] = v;
  const config = loadConfig(backupEnvSchema, merged);
  const wrap = <T>(variable: string, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof RedoubtError) throw error;
      throw new RedoubtError('CONFIG_INVALID', `${variable}: ${(error as Error).message}`, { variable });
    }
  };
  const key = config.BACKUP_ENCRYPTION_KEY ? parseEncryptionKey(config.BACKUP_ENCRYPTION_KEY) : undefined;
  const signingKey = config.BACKUP_SIGNING_KEY
    ? parseEncryptionKey(config.BACKUP_SIGNING_KEY, 'BACKUP_SIGNING_KEY')
    : key && deriveSigningKey(key);
  if (!signingKey) {
    // Manifests are always signed: without a key nothing could tell a forged one from a real one.
    throw new RedoubtError(
      'CONFIG_INVALID',
      'BACKUP_SIGNING_KEY (or BACKUP_ENCRYPTION_KEY) is required: backup manifests are signed ' +
        '(generate one with: openssl rand -hex 32; see docs/runbooks/backup-keys.md)',
      { variable: 'BACKUP_SIGNING_KEY' },
    );
  }
  return {
    targets: wrap('BACKUP_TARGETS', () => parseBackupTargets(config.BACKUP_TARGETS, openStore)),
    copies: config.BACKUP_COPIES,
    key,
    signing: {
      key: signingKey,
      acceptUnsigned: config.BACKUP_ACCEPT_UNSIGNED,
      source: config.BACKUP_SIGNING_KEY
        ? 'BACKUP_SIGNING_KEY'
        : 'the signing key derived from BACKUP_ENCRYPTION_KEY (no BACKUP_SIGNING_KEY is set)',
    },
    compression: config.BACKUP_COMPRESSION
      ? parseCompression(config.BACKUP_COMPRESSION)
      : DEFAULT_COMPRESSION,
    segmentBytes: config.BACKUP_SEGMENT_BYTES,
    overlapMs: config.BACKUP_OVERLAP_MS,
    maxChain: config.BACKUP_MAX_CHAIN,
    retention: {
      keepLast: config.BACKUP_KEEP_LAST,
      keepDaily: config.BACKUP_KEEP_DAILY,
      incompleteGraceMs: config.BACKUP_INCOMPLETE_GRACE_MS,
    },
    cadence: {
      fullEveryMs: config.BACKUP_FULL_EVERY_MS,
      incrementalEveryMs: config.BACKUP_INCREMENTAL_EVERY_MS,
      drillEveryMs: config.BACKUP_DRILL_EVERY_MS,
      verifyEveryMs: config.BACKUP_VERIFY_EVERY_MS,
    },
    drillSample: config.BACKUP_DRILL_SAMPLE,
    scratchDir: config.BACKUP_SCRATCH_DIR ?? tmpdir(),
  };
}
