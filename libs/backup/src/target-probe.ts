import { randomBytes } from 'node:crypto';
import type { BackupTarget } from './backup-targets.js';

/**
 * Writes, reads back and deletes a small object on the target: a target that is read-only, full, not a
 * directory, a missing bucket, an endpoint that does not answer or refuses the credentials fails here
 * with a typed error naming it, before any backup starts (and before any data node is read).
 */
export async function assertTargetWritable(target: BackupTarget, signal?: AbortSignal): Promise<void> {
  const key = `.redoubt-probe-${process.pid}-${randomBytes(4).toString('hex')}`;
  await target.store.put(key, 'probe\n', { signal });
  try {
    await target.store.get(key, { signal });
  } finally {
    await target.store.delete([key], { signal }).catch(() => undefined);
  }
}
