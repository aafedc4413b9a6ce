import { randomBytes } from 'node:crypto';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import type { Version } from '@redoubt/records';
import { isMissingObject, listAll, objectKey, type StoredObject } from './backup-store.js';
import type { BackupTarget } from './backup-targets.js';
import { MANIFEST_FILE, readManifest, type BackupManifest } from './manifest.js';
import { authenticateManifest, type ManifestSigning } from './manifest-mac.js';

/**
 * Layout of a target (a directory or a bucket prefix; keys relative to it):
 *
 *   <target>/partitions/<partition, 5 digits>/<backup id>/seg-000000.rbk ... manifest.json
 *   <target>/partitions/<partition, 5 digits>/head.json
 *   <target>/partitions/<partition, 5 digits>/partition.json
 *
 * A backup is complete exactly when its manifest.json exists (it is written last, atomically). head.json
 * is a cache of the latest backup and of when the partition was last found unchanged; it is never needed
 * for correctness (restore and retention read manifests).
 */
export const PARTITIONS_DIR = 'partitions';
export const HEAD_FILE = 'head.json';
/**
 * Put in a partition's folder before its first backup writes anything: what makes the folder show up in
 * a delimiter listing of `partitions/` on every S3-compatible server. Some (s3rver) report a common
 * prefix only for folders that hold an object directly, and head.json exists only after a backup
 * completed, so a partition whose every attempt failed would be missed by partitionsOnTarget.
 */
export const PARTITION_MARKER_FILE = 'partition.json';
/** In a backup folder still being written: the id of the backup it builds on (see retention). */
export const PARENT_FILE = '.parent';

/** Key prefix of a partition's folder: `partitions/00042`. */
export function partitionKey(partition: number): string {
  return objectKey(PARTITIONS_DIR, String(partition).padStart(5, '0'));
}

/** Key prefix of one backup's folder: `partitions/00042/<id>`. */
export function backupKey(partition: number, id: string): string {
  return objectKey(partitionKey(partition), id);
}

export function manifestKey(partition: number, id: string): string {
  return objectKey(backupKey(partition, id), MANIFEST_FILE);
}

/** Where a partition's folder is, for people (a path or an s3:// URL). */
export function partitionDir(target: BackupTarget, partition: number): string {
  return target.store.describe(partitionKey(partition));
}

export function backupDir(target: BackupTarget, partition: number, id: string): string {
  return target.store.describe(backupKey(partition, id));
}

export function manifestPath(target: BackupTarget, partition: number, id: string): string {
  return target.store.describe(manifestKey(partition, id));
}

/** Backup ids sort by time: `20261121T090912345Z-full-3fa9c2`. */
export function newBackupId(kind: 'full' | 'incremental', now = Date.now()): string {
  const stamp = new Date(now).toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${kind === 'full' ? 'full' : 'incr'}-${randomBytes(3).toString('hex')}`;
}

export interface IncompleteBackup {
  id: string;
  dir: string;
  /** The backup it builds on, when it is an incremental in progress. */
  parent: string | undefined;
  /** Newest modification time of anything inside (ms): how long ago it was last written to. */
  lastWriteMs: number;
}

export interface InvalidBackup {
  id: string;
  dir: string;
  error: RedoubtError;
}

export interface PartitionBackups {
  target: BackupTarget;
  partition: number;
  /** Complete backups, oldest first. */
  complete: BackupManifest[];
  /** Folders without a manifest: a backup running now, or one interrupted by a crash. */
  incomplete: IncompleteBackup[];
  /** Folders whose manifest does not parse or does not match. */
  invalid: InvalidBackup[];
}

const TARGET_DOWN = new Set(['BACKUP_TARGET_UNREACHABLE', 'BACKUP_TARGET_DENIED', 'BACKUP_TARGET_MISSING']);

export function byTime(a: BackupManifest, b: BackupManifest): number {
  return a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Every backup folder of one partition on one target, sorted into complete, incomplete and invalid. A
 * manifest without a valid MAC under `signing` is invalid (BACKUP_MANIFEST_UNAUTHENTIC), never complete.
 */
export async function listPartitionBackups(
  target: BackupTarget,
  partition: number,
  signing: ManifestSigning,
): Promise<PartitionBackups> {
  const prefix = `${partitionKey(partition)}/`;
  const result: PartitionBackups = { target, partition, complete: [], incomplete: [], invalid: [] };
  // One listing of the whole partition folder (paginated): a backup id is the first key component.
  const folders = new Map<string, StoredObject[]>();
  for (const object of (await listAll(target.store, prefix)).objects) {
    const rest = object.key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0 || rest.startsWith('.')) continue; // head.json and the like
    const id = rest.slice(0, slash);
    folders.set(id, [...(folders.get(id) ?? []), object]);
  }
  await Promise.all(
    [...folders].map(async ([id, objects]) => {
      const key = backupKey(partition, id);
      if (objects.some((o) => o.key === `${key}/${MANIFEST_FILE}`)) {
        try {
          const file = `${key}/${MANIFEST_FILE}`;
          const manifest = await readManifest(target.store, file, { partition, id, target: target.id });
          authenticateManifest(manifest, target.store.describe(file), signing);
          result.complete.push(manifest);
        } catch (error) {
          if (isMissingObject(error)) return; // pruned meanwhile
          const e = toRedoubtError(error);
          if (TARGET_DOWN.has(e.code)) throw e; // the target, not this backup
          result.invalid.push({ id, dir: target.store.describe(key), error: e });
        }
        return;
      }
      const parent = objects.some((o) => o.key === `${key}/${PARENT_FILE}`)
        ? await target.store.get(`${key}/${PARENT_FILE}`).then(
            (text) => text.toString('utf8').trim() || undefined,
            () => undefined,
          )
        : undefined;
      result.incomplete.push({
        id,
        dir: target.store.describe(key),
        parent,
        lastWriteMs: Math.max(...objects.map((o) => o.modifiedMs)),
      });
    }),
  );
  result.complete.sort(byTime);
  result.incomplete.sort((a, b) => (a.id < b.id ? -1 : 1));
  return result;
}

/** Every key of one backup's folder (segments, manifest, marker files): what retention deletes. */
export async function backupObjectKeys(
  target: BackupTarget,
  partition: number,
  id: string,
): Promise<string[]> {
  return (await listAll(target.store, `${backupKey(partition, id)}/`)).objects.map((o) => o.key);
}

/** Marks the partition's folder (see PARTITION_MARKER_FILE); idempotent. */
export async function markPartition(
  target: BackupTarget,
  partition: number,
  signal?: AbortSignal,
): Promise<void> {
  await target.store.put(
    objectKey(partitionKey(partition), PARTITION_MARKER_FILE),
    JSON.stringify({ partition }) + '\n',
    { signal },
  );
}

/**
 * Partitions that have a folder on the target, ascending: one delimiter listing of `partitions/`. Every
 * folder holds partition.json (written before its first backup) or head.json (after one), so servers
 * that list only folders holding an object directly still report it.
 */
export async function partitionsOnTarget(target: BackupTarget): Promise<number[]> {
  const { prefixes } = await listAll(target.store, `${PARTITIONS_DIR}/`, { delimiter: '/' });
  return prefixes
    .map((p) => p.slice(PARTITIONS_DIR.length + 1, -1))
    .filter((name) => /^\d{5,}$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * The chain that ends at `tip`: its full base first, then each incremental in order. Throws
 * BACKUP_CHAIN_BROKEN naming the missing backup when a link is gone.
 */
export function chainOf(backups: readonly BackupManifest[], tip: BackupManifest): BackupManifest[] {
  const byId = new Map(backups.map((b) => [b.id, b]));
  const chain: BackupManifest[] = [tip];
  let current = tip;
  for (let guard = 0; current.kind === 'incremental'; guard++) {
    const parent = byId.get(current.parent!);
    if (!parent || guard > backups.length) {
      throw new RedoubtError(
        'BACKUP_CHAIN_BROKEN',
        `backup ${current.id} of partition ${current.partition} on target ${current.target} builds on ${current.parent}, which is missing`,
        {
          partition: current.partition,
          target: current.target,
          backup: current.id,
          missing: current.parent ?? '',
        },
      );
    }
    chain.unshift(parent);
    current = parent;
  }
  return chain;
}

/** What the last backup job learnt about a partition on a target (a cache, see above). */
export interface BackupHead {
  partition: number;
  target: string;
  /** Id of the newest complete backup. */
  latest: string;
  watermark: Version;
  /** When the newest backup started. */
  latestStartedAt: number;
  /** Source digest root when last checked (equal root now: nothing changed since). */
  sourceRoot: string;
  /** When a job last confirmed the backup covers the partition (ms): the start of the last backup or check. */
  coveredAt: number;
}

export async function readHead(target: BackupTarget, partition: number): Promise<BackupHead | undefined> {
  try {
    const text = await target.store.get(objectKey(partitionKey(partition), HEAD_FILE));
    const head = JSON.parse(text.toString('utf8')) as BackupHead;
    return typeof head.latest === 'string' && typeof head.coveredAt === 'number' ? head : undefined;
  } catch {
    return undefined;
  }
}

export async function writeHead(target: BackupTarget, head: BackupHead): Promise<void> {
  await target.store.put(objectKey(partitionKey(head.partition), HEAD_FILE), JSON.stringify(head) + '\n');
}
