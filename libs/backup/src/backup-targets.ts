import { RedoubtError } from '@redoubt/errors';
import { build, replicasOf, type PlacementMatrix } from '@redoubt/placement';
import type { BackupStore } from './backup-store.js';
import { DirectoryBackupStore } from './directory-store.js';

/**
 * A backup destination, one column of the backup matrix: a directory (a Docker volume) or an
 * S3-compatible bucket, behind the same BackupStore interface.
 */
export interface BackupTarget {
  /** Stable id (`t1`): recorded in manifests and job payloads; the location may move, the id may not. */
  id: string;
  /**
   * The spec the target was configured with, without the id: `/abs/dir` or
   * `s3://bucket/prefix?endpoint=...` (never credentials: it is logged and shown).
   */
  location: string;
  /** Where its objects live. */
  store: BackupStore;
  /** Site of the target; the matrix puts a partition's copies on distinct sites when it can. Default: its id. */
  zone?: string;
  /** Relative capacity. Default 1. */
  weight?: number;
}

export const DEFAULT_BACKUP_COPIES = 2;

const TARGET_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Turns one target's location into its store. The default opens directories only; the apps pass
 * `openBackupStore` of @redoubt/backup-stores, which also opens `s3://` targets (the S3 SDK stays out of
 * this library). Throws CONFIG_INVALID naming the problem.
 */
export type BackupStoreOpener = (target: { id: string; location: string }) => BackupStore;

export const openDirectoryTarget: BackupStoreOpener = ({ id, location }) => {
  if (!location.startsWith('/')) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      `BACKUP_TARGETS: target ${id}: "${location}" is neither an absolute directory nor a supported URL`,
      { variable: 'BACKUP_TARGETS', target: id },
    );
  }
  return new DirectoryBackupStore(location, id);
};

/** A directory target (tests, tools, the bench). */
export function directoryTarget(id: string, dir: string): BackupTarget {
  return { id, location: dir, store: new DirectoryBackupStore(dir, id) };
}

/**
 * `t1=/path,t2=s3://bucket/prefix?...` (BACKUP_TARGETS). Directories must be absolute: a relative path
 * would depend on the working directory of whichever process (worker, CLI) reads it, and they must agree.
 */
export function parseBackupTargets(
  spec: string,
  open: BackupStoreOpener = openDirectoryTarget,
): BackupTarget[] {
  const parsed: { id: string; location: string }[] = [];
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const id = part.slice(0, eq);
    const location = part.slice(eq + 1).replace(/(.)\/+$/, '$1');
    if (eq <= 0 || !TARGET_ID.test(id) || location === '') {
      throw new RedoubtError(
        'CONFIG_INVALID',
        `BACKUP_TARGETS: "${part}" is not id=/absolute/path or id=s3://bucket/prefix?...`,
        { variable: 'BACKUP_TARGETS' },
      );
    }
    parsed.push({ id, location });
  }
  if (parsed.length === 0) {
    throw new RedoubtError('CONFIG_INVALID', 'BACKUP_TARGETS: no backup target given', {
      variable: 'BACKUP_TARGETS',
    });
  }
  if (new Set(parsed.map((t) => t.id)).size !== parsed.length) {
    throw new RedoubtError('CONFIG_INVALID', 'BACKUP_TARGETS: a target id appears twice', {
      variable: 'BACKUP_TARGETS',
    });
  }
  const targets = parsed.map((t) => ({ ...t, store: open(t) }));
  if (new Set(targets.map((t) => t.store.identity ?? t.store.location)).size !== targets.length) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      'BACKUP_TARGETS: two targets share a directory or bucket prefix',
      {
        variable: 'BACKUP_TARGETS',
      },
    );
  }
  return targets;
}

export function formatBackupTargets(targets: readonly BackupTarget[]): string {
  return targets.map((t) => `${t.id}=${t.location}`).join(',');
}

/**
 * The backup matrix B of the design (B = A x P): partition i is backed up to the targets of row i.
 * Built by @redoubt/placement exactly like the replica matrix, over targets instead of servers, so it is
 * balanced by weight, puts copies on distinct sites, and is deterministic (every process computes the
 * same one). `copies` is capped at the number of targets.
 */
export function backupMatrix(
  targets: readonly BackupTarget[],
  partitions: number,
  copies = DEFAULT_BACKUP_COPIES,
): PlacementMatrix {
  if (!Number.isInteger(copies) || copies < 1) {
    throw new RedoubtError('CONFIG_INVALID', `BACKUP_COPIES must be a positive integer, not ${copies}`, {
      variable: 'BACKUP_COPIES',
    });
  }
  return build(
    targets.map((t) => ({ id: t.id, zone: t.zone ?? t.id, weight: t.weight ?? 1 })),
    { partitions, replicas: Math.min(copies, targets.length), epoch: 1 },
  );
}

/** The targets holding the backups of `partition`, in matrix order. */
export function targetsOfPartition(
  matrix: PlacementMatrix,
  targets: readonly BackupTarget[],
  partition: number,
): BackupTarget[] {
  return replicasOf(matrix, partition).map((id) => targetById(targets, id));
}

export function targetById(targets: readonly BackupTarget[], id: string): BackupTarget {
  const target = targets.find((t) => t.id === id);
  if (!target) {
    throw new RedoubtError('INVALID_ARGUMENT', `no backup target ${JSON.stringify(id)} is configured`, {
      target: id,
      configured: targets.map((t) => t.id),
    });
  }
  return target;
}
