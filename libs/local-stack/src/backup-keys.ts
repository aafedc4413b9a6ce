import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local stack's backup keys (docs/runbooks/backup-keys.md): an AES-256-GCM encryption key and a
 * manifest signing key, 32 random bytes each as hex, one file each in the stack's home. Unlike the other
 * secrets of a run they must outlive it — backups written under them are unreadable without them — so they
 * are created once, mode 0600, and kept across restarts and `--fresh` (like the backups themselves). The
 * backup-worker gets them in its environment; the CLI reads the same files.
 */
export const BACKUP_KEY_FILES = { encryption: 'backup.key', signing: 'backup-signing.key' } as const;

export interface BackupKeyFiles {
  encryption: string;
  signing: string;
}

export function backupKeyFiles(home: string): BackupKeyFiles {
  return {
    encryption: join(home, BACKUP_KEY_FILES.encryption),
    signing: join(home, BACKUP_KEY_FILES.signing),
  };
}

/** The key in `file`, created with a fresh random one when there is none (never overwritten). */
function ensureKeyFile(file: string): string {
  try {
    // 'wx': a key that exists is never replaced, even by two stacks racing to create it.
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  chmodSync(file, 0o600); // also tightens a key file someone copied in with a looser mode
  return readFileSync(file, 'utf8').trim();
}

/** Both backup keys of a stack home, as the environment of the backup-worker wants them. */
export function ensureBackupKeys(home: string): {
  files: BackupKeyFiles;
  env: { BACKUP_ENCRYPTION_KEY: string; BACKUP_SIGNING_KEY: string };
} {
  const files = backupKeyFiles(home);
  return {
    files,
    env: {
      BACKUP_ENCRYPTION_KEY: ensureKeyFile(files.encryption),
      BACKUP_SIGNING_KEY: ensureKeyFile(files.signing),
    },
  };
}
