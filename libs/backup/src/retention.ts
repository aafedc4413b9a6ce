import { RedoubtError } from '@redoubt/errors';
import { backupObjectKeys, byTime, listPartitionBackups, manifestKey } from './backup-catalog.js';
import type { ManifestSigning } from './manifest-mac.js';
import type { BackupTarget } from './backup-targets.js';
import type { BackupManifest } from './manifest.js';

export interface RetentionPolicy {
  /** Keep the newest N backups. */
  keepLast: number;
  /** Keep the newest backup of each of the last N days (UTC) that have one. */
  keepDaily: number;
  /** Folders without a manifest untouched for this long are interrupted backups and are removed. */
  incompleteGraceMs?: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  keepLast: 60,
  keepDaily: 7,
  incompleteGraceMs: 3_600_000,
};

export interface RetentionDecision {
  keep: BackupManifest[];
  /** Newest first: the order they are deleted in. */
  prune: BackupManifest[];
  /** Why each kept backup is kept. */
  reasons: Map<string, string[]>;
}

/**
 * Which backups of one partition on one target to keep. Kept: the newest `keepLast`, the newest of each of
 * the last `keepDaily` days, and then every backup any kept one builds on (its parent, its parent's parent,
 * down to its full base). So whatever is kept can still be restored, and a pruned backup never leaves a
 * later incremental without its base. Pure: decides, does not delete.
 */
export function decideRetention(
  backups: readonly BackupManifest[],
  policy: RetentionPolicy,
  /** Parents named by backups still being written: kept with their chains, so those can complete. */
  inProgressParents: readonly string[] = [],
): RetentionDecision {
  if (!(policy.keepLast >= 1) || !(policy.keepDaily >= 0)) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      'retention must keep at least the last backup (BACKUP_KEEP_LAST >= 1)',
    );
  }
  const newestFirst = [...backups].sort(byTime).reverse();
  const reasons = new Map<string, string[]>();
  const mark = (b: BackupManifest, why: string) => reasons.set(b.id, [...(reasons.get(b.id) ?? []), why]);
  newestFirst.slice(0, policy.keepLast).forEach((b) => mark(b, 'last'));
  const days = new Set<string>();
  for (const b of newestFirst) {
    if (days.size >= policy.keepDaily) break;
    const day = new Date(b.startedAt).toISOString().slice(0, 10);
    if (days.has(day)) continue;
    days.add(day);
    mark(b, `daily ${day}`);
  }
  const byId = new Map(backups.map((b) => [b.id, b]));
  for (const id of inProgressParents) {
    const b = byId.get(id);
    if (b) mark(b, 'parent of a backup in progress');
  }
  for (const id of [...reasons.keys()]) {
    let current = byId.get(id);
    while (current?.parent) {
      const parent = byId.get(current.parent);
      if (!parent) break; // already broken: nothing older to protect
      mark(parent, `base of ${current.id}`);
      current = parent;
    }
  }
  return {
    keep: newestFirst.filter((b) => reasons.has(b.id)),
    prune: newestFirst.filter((b) => !reasons.has(b.id)),
    reasons,
  };
}

export interface PruneResult {
  target: string;
  partition: number;
  kept: number;
  pruned: string[];
  removedIncomplete: string[];
}

/**
 * Applies the policy to one partition on one target. Deletes newest first (a child before its parent),
 * and within a backup the manifest first, so a crash half-way leaves only complete, restorable chains
 * (plus folders without a manifest, which the next run removes).
 */
export async function pruneBackups(
  target: BackupTarget,
  partition: number,
  signing: ManifestSigning,
  policy: RetentionPolicy = DEFAULT_RETENTION,
  now = Date.now(),
): Promise<PruneResult> {
  // Manifests that fail to authenticate are not "complete": retention never acts on what it cannot trust.
  const listing = await listPartitionBackups(target, partition, signing);
  const grace = policy.incompleteGraceMs ?? DEFAULT_RETENTION.incompleteGraceMs!;
  const running = listing.incomplete.filter((i) => now - i.lastWriteMs < grace);
  const decision = decideRetention(
    listing.complete,
    policy,
    running.flatMap((i) => (i.parent ? [i.parent] : [])),
  );
  const result: PruneResult = {
    target: target.id,
    partition,
    kept: decision.keep.length,
    pruned: [],
    removedIncomplete: [],
  };
  for (const backup of decision.prune) {
    // The manifest goes first (the backup stops being complete), then the rest of its objects.
    await target.store.delete([manifestKey(partition, backup.id)]);
    await target.store.delete(await backupObjectKeys(target, partition, backup.id));
    result.pruned.push(backup.id);
  }
  for (const incomplete of listing.incomplete) {
    if (now - incomplete.lastWriteMs < grace) continue; // may be a backup running right now
    await target.store.delete(await backupObjectKeys(target, partition, incomplete.id));
    result.removedIncomplete.push(incomplete.id);
  }
  return result;
}
