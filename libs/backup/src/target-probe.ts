import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupTarget } from './backup-targets.js';
import { ensureDir, unwritable, writeFileAtomic } from './durable-files.js';

/**
 * Creates, fsyncs and removes a small file on the target: a target that is read-only, full, not a
 * directory or not ours fails here with BACKUP_TARGET_UNWRITABLE naming the path, before any backup
 * starts (and before any data node is read).
 */
export async function assertTargetWritable(target: BackupTarget): Promise<void> {
  const probe = join(target.path, `.redoubt-probe-${process.pid}`);
  try {
    await ensureDir(target.path);
  } catch (error) {
    throw unwritable(error, target.path, target.id);
  }
  try {
    await writeFileAtomic(probe, 'probe\n');
    await rm(probe, { force: true });
  } catch (error) {
    throw unwritable(error, probe, target.id);
  }
}
