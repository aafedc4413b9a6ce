import { toRedoubtError, type ErrorCode } from '@redoubt/errors';
import {
  backupKey,
  chainOf,
  listPartitionBackups,
  manifestPath,
  partitionsOnTarget,
} from './backup-catalog.js';
import type { BackupTarget } from './backup-targets.js';
import { keyCheckOf } from './encryption-key.js';
import type { BackupManifest } from './manifest.js';
import type { ManifestSigning } from './manifest-mac.js';
import { checkSegmentHash, readSegmentRecords, segmentExpectations } from './segment-reader.js';

export interface VerifyProblem {
  target: string;
  /** -1 for a problem with the target itself. */
  partition: number;
  /** The backup concerned (empty when the problem is the partition folder itself). */
  backup: string;
  /** The file that is missing, damaged or does not match. */
  file: string;
  code: ErrorCode;
  message: string;
}

export interface VerifyOptions {
  /**
   * Also decrypt, decompress and decode every record (CRC of each record, record counts, the key). Without
   * it, verify checks every segment's size and SHA-256 against its manifest, which needs no key.
   */
  deep?: boolean;
  /** With a key, a plaintext backup is a problem (BACKUP_NOT_ENCRYPTED). */
  key?: Buffer;
  /** Every manifest must carry a valid MAC under it (manifest-mac.ts). */
  signing: ManifestSigning;
  signal?: AbortSignal;
}

export interface BackupVerification {
  target: string;
  partition: number;
  backup: string;
  ok: boolean;
  segments: number;
  bytes: number;
  problems: VerifyProblem[];
}

function problemOf(
  error: unknown,
  where: { target: string; partition: number; backup: string; file: string },
): VerifyProblem {
  const e = toRedoubtError(error);
  return {
    ...where,
    file: typeof e.details.file === 'string' ? e.details.file : where.file,
    code: e.code,
    message: e.message,
  };
}

/** Re-reads every segment of one backup and checks it; every missing or damaged segment is named. */
export async function verifyBackup(
  target: BackupTarget,
  manifest: BackupManifest,
  options: VerifyOptions,
): Promise<BackupVerification> {
  const prefix = backupKey(manifest.partition, manifest.id);
  const manifestFile = manifestPath(target, manifest.partition, manifest.id);
  const where = { target: target.id, partition: manifest.partition, backup: manifest.id };
  const problems: VerifyProblem[] = [];
  if (options.key && !manifest.encryption) {
    problems.push({
      ...where,
      file: manifestFile,
      code: 'BACKUP_NOT_ENCRYPTED',
      message: `backup ${manifest.id} is not encrypted and BACKUP_ENCRYPTION_KEY is set: plaintext backups are refused`,
    });
  }
  if (options.deep && manifest.encryption) {
    if (!options.key) {
      problems.push({
        ...where,
        file: manifestFile,
        code: 'BACKUP_KEY_INVALID',
        message: `backup ${manifest.id} is encrypted and no key was given for a deep verify`,
      });
    } else if (keyCheckOf(options.key) !== manifest.encryption.keyCheck) {
      problems.push({
        ...where,
        file: manifestFile,
        code: 'BACKUP_KEY_INVALID',
        message: `backup ${manifest.id} was encrypted under another key than BACKUP_ENCRYPTION_KEY`,
      });
    }
  }
  const deep = options.deep === true && problems.length === 0;
  for (const info of manifest.segments) {
    options.signal?.throwIfAborted();
    const segment = `${prefix}/${info.name}`;
    const file = target.store.describe(segment);
    try {
      if (deep) {
        for await (const _record of readSegmentRecords(
          target.store,
          segment,
          segmentExpectations(manifest, info),
          options.key,
          options.signal,
        )) {
          // every record is checked as it is decoded
        }
      } else {
        await checkSegmentHash(target.store, segment, info, options.signal);
      }
    } catch (error) {
      if (options.signal?.aborted) throw error;
      problems.push(problemOf(error, { ...where, file }));
    }
  }
  return {
    ...where,
    ok: problems.length === 0,
    segments: manifest.segments.length,
    bytes: manifest.bytes,
    problems,
  };
}

export interface PartitionVerification {
  target: string;
  partition: number;
  backups: BackupVerification[];
  /** Folders without a manifest (running or interrupted backups): reported, not failures. */
  incomplete: string[];
  problems: VerifyProblem[];
  ok: boolean;
}

/** Verifies every complete backup of a partition on a target, its chains, and its manifests. */
export async function verifyPartition(
  target: BackupTarget,
  partition: number,
  options: VerifyOptions,
): Promise<PartitionVerification> {
  const listing = await listPartitionBackups(target, partition, options.signing);
  const problems: VerifyProblem[] = [];
  for (const invalid of listing.invalid) {
    problems.push(
      problemOf(invalid.error, {
        target: target.id,
        partition,
        backup: invalid.id,
        file: manifestPath(target, partition, invalid.id),
      }),
    );
  }
  for (const manifest of listing.complete) {
    try {
      chainOf(listing.complete, manifest);
    } catch (error) {
      problems.push(
        problemOf(error, {
          target: target.id,
          partition,
          backup: manifest.id,
          file: manifestPath(target, partition, manifest.id),
        }),
      );
    }
  }
  const backups: BackupVerification[] = [];
  for (const manifest of listing.complete) {
    const result = await verifyBackup(target, manifest, options);
    backups.push(result);
    problems.push(...result.problems);
  }
  return {
    target: target.id,
    partition,
    backups,
    incomplete: listing.incomplete.map((i) => i.id),
    problems,
    ok: problems.length === 0,
  };
}

export interface VerifySummary {
  ok: boolean;
  targets: string[];
  partitions: number;
  backups: number;
  segments: number;
  bytes: number;
  incomplete: number;
  problems: VerifyProblem[];
}

/**
 * Verifies the listed partitions (default: every partition found) on every target. `onPartition` is
 * called once per (target, partition) pair; `plan` first with their number, so a progress bar knows its
 * total before any work starts.
 */
export async function verifyTargets(
  targets: readonly BackupTarget[],
  options: VerifyOptions & {
    partitions?: readonly number[];
    plan?: (total: number) => void;
    onPartition?: (result: PartitionVerification) => void;
    concurrency?: number;
  },
): Promise<VerifySummary> {
  const work: { target: BackupTarget; partition: number }[] = [];
  const problems: VerifyProblem[] = [];
  for (const target of targets) {
    // An unmounted volume, a wrong path or a missing bucket must not look like "nothing to verify".
    try {
      await target.store.check({ signal: options.signal });
    } catch (error) {
      problems.push(
        problemOf(error, { target: target.id, partition: -1, backup: '', file: target.location }),
      );
      continue;
    }
    let partitions: readonly number[];
    try {
      partitions = options.partitions ?? (await partitionsOnTarget(target));
    } catch (error) {
      problems.push(
        problemOf(error, { target: target.id, partition: -1, backup: '', file: target.location }),
      );
      continue;
    }
    for (const partition of partitions) work.push({ target, partition });
  }
  options.plan?.(work.length);
  const summary: VerifySummary = {
    ok: false,
    targets: targets.map((t) => t.id),
    partitions: 0,
    backups: 0,
    segments: 0,
    bytes: 0,
    incomplete: 0,
    problems,
  };
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const { target, partition } = work[next++]!;
      let result: PartitionVerification;
      try {
        result = await verifyPartition(target, partition, options);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        result = {
          target: target.id,
          partition,
          backups: [],
          incomplete: [],
          problems: [problemOf(error, { target: target.id, partition, backup: '', file: target.location })],
          ok: false,
        };
      }
      summary.partitions++;
      summary.backups += result.backups.length;
      summary.segments += result.backups.reduce((n, b) => n + b.segments, 0);
      summary.bytes += result.backups.reduce((n, b) => n + b.bytes, 0);
      summary.incomplete += result.incomplete.length;
      summary.problems.push(...result.problems);
      options.onPartition?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  summary.problems.sort(
    (a, b) => a.target.localeCompare(b.target) || a.partition - b.partition || a.file.localeCompare(b.file),
  );
  summary.ok = summary.problems.length === 0;
  return summary;
}
