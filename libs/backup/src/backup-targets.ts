import { RedoubtError } from '@redoubt/errors';
import { build, replicasOf, type PlacementMatrix } from '@redoubt/placement';

/** A backup destination: a directory (a Docker volume in compose), one column of the backup matrix. */
export interface BackupTarget {
  /** Stable id (`t1`): recorded in manifests and job payloads; the path may move, the id may not. */
  id: string;
  /** Absolute directory the target's backups live under. */
  path: string;
  /** Site of the target; the matrix puts a partition's copies on distinct sites when it can. Default: its id. */
  zone?: string;
  /** Relative capacity. Default 1. */
  weight?: number;
}

export const DEFAULT_BACKUP_COPIES = 2;

const TARGET_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `t1=/path,t2=/path` (BACKUP_TARGETS). Paths must be absolute: a relative path would depend on the
 * working directory of whichever process (worker, CLI) reads it, and they must agree.
 */
export function parseBackupTargets(spec: string): BackupTarget[] {
  const targets: BackupTarget[] = [];
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const id = part.slice(0, eq);
    const path = part.slice(eq + 1).replace(/(.)\/+$/, '$1');
    if (eq <= 0 || !TARGET_ID.test(id) || !path.startsWith('/')) {
      throw new RedoubtError('CONFIG_INVALID', `BACKUP_TARGETS: "${part}" is not id=/absolute/path`, {
        variable: 'BACKUP_TARGETS',
      });
    }
    targets.push({ id, path });
  }
  if (targets.length === 0) {
    throw new RedoubtError('CONFIG_INVALID', 'BACKUP_TARGETS: no backup target given', {
      variable: 'BACKUP_TARGETS',
    });
  }
  if (new Set(targets.map((t) => t.id)).size !== targets.length) {
    throw new RedoubtError('CONFIG_INVALID', 'BACKUP_TARGETS: a target id appears twice', {
      variable: 'BACKUP_TARGETS',
    });
  }
  if (new Set(targets.map((t) => t.path)).size !== targets.length) {
    throw new RedoubtError('CONFIG_INVALID', 'BACKUP_TARGETS: two targets share a directory', {
      variable: 'BACKUP_TARGETS',
    });
  }
  return targets;
}

export function formatBackupTargets(targets: readonly BackupTarget[]): string {
  return targets.map((t) => `${t.id}=${t.path}`).join(',');
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
