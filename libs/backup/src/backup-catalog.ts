import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RedoubtError } from '@redoubt/errors';
import type { Version } from '@redoubt/records';
import type { BackupTarget } from './backup-targets.js';
import { isMissing, unreadable, writeFileAtomic } from './durable-files.js';
import { MANIFEST_FILE, readManifest, type BackupManifest } from './manifest.js';
import { authenticateManifest, type ManifestSigning } from './manifest-mac.js';

/**
 * Layout of a target (a directory):
 *
 *   <target>/partitions/<partition, 5 digits>/<backup id>/seg-000000.rbk ... manifest.json
 *   <target>/partitions/<partition, 5 digits>/head.json
 *
 * A backup is complete exactly when its manifest.json exists (it is written last, atomically). head.json
 * is a cache of the latest backup and of when the partition was last found unchanged; it is never needed
 * for correctness (restore and retention read manifests).
 */
export const PARTITIONS_DIR = 'partitions';
export const HEAD_FILE = 'head.json';
/** In a backup folder still being written: the id of the backup it builds on (see retention). */
export const PARENT_FILE = '.parent';

export function partitionDir(target: BackupTarget, partition: number): string {
  return join(target.path, PARTITIONS_DIR, String(partition).padStart(5, '0'));
}

export function backupDir(target: BackupTarget, partition: number, id: string): string {
  return join(partitionDir(target, partition), id);
}

export function manifestPath(target: BackupTarget, partition: number, id: string): string {
  return join(backupDir(target, partition, id), MANIFEST_FILE);
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
  const dir = partitionDir(target, partition);
  const result: PartitionBackups = { target, partition, complete: [], incomplete: [], invalid: [] };
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    if (isMissing(error)) return result;
    throw unreadable(error, dir, 'folder');
  }
  await Promise.all(
    entries
      .filter((name) => !name.startsWith('.'))
      .map(async (id) => {
        const file = join(dir, id, MANIFEST_FILE);
        try {
          const manifest = await readManifest(file, { partition, id, target: target.id });
          authenticateManifest(manifest, file, signing);
          result.complete.push(manifest);
        } catch (error) {
          const e = error instanceof RedoubtError ? error : unreadable(error, file, 'manifest');
          if (e.code === 'BACKUP_CORRUPT' && e.details.errno === 'ENOENT') {
            const parent = await readFile(join(dir, id, PARENT_FILE), 'utf8').then(
              (text) => text.trim() || undefined,
              () => undefined,
            );
            result.incomplete.push({
              id,
              dir: join(dir, id),
              parent,
              lastWriteMs: await lastWrite(join(dir, id)),
            });
          } else {
            result.invalid.push({ id, dir: join(dir, id), error: e });
          }
        }
      }),
  );
  result.complete.sort(byTime);
  result.incomplete.sort((a, b) => (a.id < b.id ? -1 : 1));
  return result;
}

async function lastWrite(dir: string): Promise<number> {
  let newest = 0;
  try {
    newest = (await stat(dir)).mtimeMs;
    for (const name of await readdir(dir)) {
      newest = Math.max(newest, (await stat(join(dir, name)).catch(() => ({ mtimeMs: 0 }))).mtimeMs);
    }
  } catch {
    // vanished meanwhile
  }
  return newest;
}

/** Partitions that have a folder on the target, ascending. */
export async function partitionsOnTarget(target: BackupTarget): Promise<number[]> {
  const dir = join(target.path, PARTITIONS_DIR);
  try {
    return (await readdir(dir))
      .filter((name) => /^\d{5,}$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  } catch (error) {
    if (isMissing(error)) return [];
    throw unreadable(error, dir, 'folder');
  }
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
    const head = JSON.parse(
      await readFile(join(partitionDir(target, partition), HEAD_FILE), 'utf8'),
    ) as BackupHead;
    return typeof head.latest === 'string' && typeof head.coveredAt === 'number' ? head : undefined;
  } catch {
    return undefined;
  }
}

export async function writeHead(target: BackupTarget, head: BackupHead): Promise<void> {
  await writeFileAtomic(join(partitionDir(target, head.partition), HEAD_FILE), JSON.stringify(head) + '\n');
}
