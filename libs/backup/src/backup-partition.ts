import type { DataNodeApi, PartitionDigest } from '@redoubt/cluster-client';
import { RedoubtError, isRedoubtError, toRedoubtError } from '@redoubt/errors';
import { ZERO_VERSION, type StoredRecord, type Version } from '@redoubt/records';
import {
  PARENT_FILE,
  backupKey,
  backupObjectKeys,
  chainOf,
  listPartitionBackups,
  markPartition,
  newBackupId,
  readHead,
  writeHead,
  type BackupHead,
} from './backup-catalog.js';
import type { BackupTarget } from './backup-targets.js';
import { DEFAULT_COMPRESSION, type Compression } from './compression.js';
import { keyCheckOf } from './encryption-key.js';
import {
  MANIFEST_FILE,
  MANIFEST_VERSION,
  MANIFEST_FORMAT,
  serializeManifest,
  type BackupManifest,
} from './manifest.js';
import { signManifest, type ManifestSigning } from './manifest-mac.js';
import { writeSegments, type SegmentInfo } from './segment-writer.js';
import { versionFloorAt } from './version-bounds.js';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/**
 * How far before the previous backup's start an incremental looks back. A single-replica scan is not a
 * snapshot and versions come from many writers' clocks, so a write can land behind a scan with a version
 * below the scan's watermark (it was stamped before, arrived after: in flight, clock skew, a hinted
 * handoff or repair delivering an older version later). Looking back this far picks those up; older
 * stragglers are caught by the next full backup.
 */
export const DEFAULT_OVERLAP_MS = 15_000;
/** Past this many incrementals in a chain, `auto` takes a full backup (bounds restore work). */
export const DEFAULT_MAX_CHAIN = 2_000;

export type BackupKind = 'full' | 'incremental' | 'auto';

export interface BackupPartitionOptions {
  partition: number;
  /** P of the cluster. */
  partitions: number;
  target: BackupTarget;
  /** The partition's replicas, in the order to try (primary first). */
  replicas: readonly DataNodeApi[];
  /** `auto`: incremental on top of the newest complete chain, full when there is none. Default auto. */
  kind?: BackupKind;
  compression?: Compression;
  /** Encrypts the segments; with a key, a plaintext (or other-key) chain is never built on. */
  key?: Buffer;
  /** Signs the manifest, and authenticates the ones read to find the parent. */
  signing: ManifestSigning;
  segmentBytes?: number;
  overlapMs?: number;
  maxChain?: number;
  /** An incremental whose source digest equals the last one writes nothing. Default true. */
  skipUnchanged?: boolean;
  /**
   * Who asks (a job id): recorded in the manifest, and a complete backup with the same origin is returned
   * as is instead of being taken again (a job retried after it finished but before BullMQ recorded it).
   */
  origin?: string;
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  now?: () => number;
  onProgress?: (progress: { records: number; rawBytes: number; expectedRecords: number }) => void;
  onSegment?: (info: SegmentInfo) => void | Promise<void>;
}

export interface BackupPartitionResult {
  status: 'written' | 'unchanged';
  partition: number;
  target: string;
  /** The manifest written, or for `unchanged` the newest backup that still covers the partition. */
  manifest: BackupManifest;
  head: BackupHead;
  /** Records the source replica held when this backup (or check) read it: 0 is an empty partition. */
  sourceRecords: number;
  /**
   * What the target held for the partition when this backup ended, as far as this run saw: complete
   * backups (this one included) and folders without a manifest. What lets callers skip retention when
   * it has nothing to do (retentionDue).
   */
  onTarget: { complete: number; incomplete: number };
  durationMs: number;
}

/**
 * Whether pruneBackups could remove anything after `result`: only with more complete backups than
 * `keepLast` (the newest keepLast are always kept, whatever else the policy keeps) or with folders
 * without a manifest. Saves a listing and a read of every manifest per backup while neither is the case.
 */
export function retentionDue(result: BackupPartitionResult, policy: { keepLast: number }): boolean {
  return result.onTarget.complete > policy.keepLast || result.onTarget.incomplete > 0;
}

const REPLICA_ERRORS = new Set([
  'REPLICA_UNAVAILABLE',
  'REPLICA_TIMEOUT',
  'CIRCUIT_OPEN',
  'RECORD_CORRUPT',
  'FRAME_INVALID',
  'STORE_UNAVAILABLE',
]);

/**
 * Backs one partition up to one target: reads one healthy replica (the first that answers, primary first),
 * stores segments (each one atomic and durable when its put returns: see BackupStore), and only then the
 * manifest. A crash at any point leaves either no manifest (the folder is an incomplete backup, ignored by
 * restore and removed by retention) or a complete backup.
 *
 * Consistency: the scan is not a snapshot. The manifest's watermark is the newest version it saw; the next
 * incremental asks for versions newer than min(watermark, start of this scan - overlap), so writes that
 * raced this scan are in the next incremental (see DEFAULT_OVERLAP_MS and the README).
 */
export async function backupPartition(options: BackupPartitionOptions): Promise<BackupPartitionResult> {
  const now = options.now ?? Date.now;
  const begun = performance.now();
  const { partition, target } = options;
  const result = (
    status: BackupPartitionResult['status'],
    manifest: BackupManifest,
    head: BackupHead,
    sourceRecords: number,
  ): BackupPartitionResult => ({
    status,
    partition,
    target: target.id,
    manifest,
    head,
    sourceRecords,
    onTarget: {
      complete:
        listing.complete.length + (status === 'written' && !listing.complete.includes(manifest) ? 1 : 0),
      incomplete: listing.incomplete.length,
    },
    durationMs: performance.now() - begun,
  });

  const listing = await listPartitionBackups(target, partition, options.signing);
  const done = options.origin ? listing.complete.find((b) => b.origin === options.origin) : undefined;
  if (done) {
    const head = (await readHead(target, partition)) ?? headOf(done, done.source.root, done.startedAt);
    return result('written', done, head, done.source.records);
  }
  let parent: BackupManifest | undefined;
  let chainLength = 0;
  if ((options.kind ?? 'auto') !== 'full') {
    let refusedPlaintext: BackupManifest | undefined;
    for (const candidate of [...listing.complete].reverse()) {
      try {
        const chain = chainOf(listing.complete, candidate);
        // With a key, a chain holding a plaintext (or other-key) backup is never built on: take a full.
        const alien = options.key ? chain.find((b) => !encryptedUnder(b, options.key!)) : undefined;
        if (alien) {
          refusedPlaintext ??= alien;
          continue;
        }
        chainLength = chain.length;
        parent = candidate;
        break;
      } catch {
        // broken chain: try an older tip, else take a full
      }
    }
    if (options.kind === 'incremental' && !parent && refusedPlaintext) {
      throw new RedoubtError(
        'BACKUP_NOT_ENCRYPTED',
        `backup ${refusedPlaintext.id} of partition ${partition} on target ${target.id} is ${refusedPlaintext.encryption ? 'encrypted under another key' : 'not encrypted'} and BACKUP_ENCRYPTION_KEY is set: no incremental builds on it; take a full one`,
        { partition, target: target.id, backup: refusedPlaintext.id },
      );
    }
    if (options.kind === 'incremental' && !parent) {
      throw new RedoubtError(
        'BACKUP_NOT_FOUND',
        `no complete backup of partition ${partition} on target ${target.id} to take an incremental on; take a full one`,
        { partition, target: target.id },
      );
    }
    if (
      (options.kind ?? 'auto') === 'auto' &&
      parent &&
      chainLength > (options.maxChain ?? DEFAULT_MAX_CHAIN)
    ) {
      parent = undefined;
    }
  }
  if (parent && parent.partitions !== options.partitions) {
    throw new RedoubtError(
      'BACKUP_MANIFEST_INVALID',
      `backups of partition ${partition} on target ${target.id} were taken with ${parent.partitions} partitions, this cluster has ${options.partitions}`,
      { partition, target: target.id },
    );
  }
  const kind = parent ? 'incremental' : 'full';
  const since: Version | undefined = parent
    ? minVersion(
        parent.watermark,
        versionFloorAt(parent.startedAt - (options.overlapMs ?? DEFAULT_OVERLAP_MS)),
      )
    : undefined;

  const failures: string[] = [];
  for (let i = 0; i < options.replicas.length; i++) {
    const replica = options.replicas[i]!;
    const last = i === options.replicas.length - 1;
    options.signal?.throwIfAborted();
    const startedAt = now();
    let digest: PartitionDigest;
    try {
      digest = await replica.digest(partition, {
        timeoutMs: options.requestTimeoutMs,
        signal: options.signal,
      });
    } catch (error) {
      failures.push(`${replica.id}: ${toRedoubtError(error).message}`);
      continue;
    }
    if (parent && (options.skipUnchanged ?? true)) {
      const head = await readHead(target, partition);
      const lastRoot = head?.latest === parent.id ? head.sourceRoot : parent.source.root;
      if (lastRoot === digest.root) {
        const unchangedHead = headOf(parent, digest.root, startedAt);
        await writeHead(target, unchangedHead);
        return result('unchanged', parent, unchangedHead, digest.records);
      }
    }

    const id = newBackupId(kind, startedAt);
    const prefix = backupKey(partition, id);
    // Until a backup completed (and head.json exists), the marker makes the folder listable everywhere.
    if (listing.complete.length === 0) await markPartition(target, partition, options.signal);
    // Tells retention, while this backup has no manifest yet, which backup it builds on (keep that one).
    if (parent)
      await target.store.put(`${prefix}/${PARENT_FILE}`, `${parent.id}\n`, { signal: options.signal });
    let skippedCorrupt = 0;
    try {
      const records = replica.streamOut(partition, {
        ...(since ? { since } : {}),
        timeoutMs: options.requestTimeoutMs,
        signal: options.signal,
        onEnd: (summary: { corrupt?: number }) => (skippedCorrupt = summary.corrupt ?? 0),
      } as Parameters<DataNodeApi['streamOut']>[1]) as AsyncIterable<StoredRecord>;
      const written = await writeSegments(records, {
        store: target.store,
        prefix,
        target: target.id,
        compression: options.compression ?? DEFAULT_COMPRESSION,
        key: options.key,
        binding: { backupId: id, partition },
        segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
        signal: options.signal,
        onSegment: options.onSegment,
        onProgress: (records, rawBytes) =>
          options.onProgress?.({ records, rawBytes, expectedRecords: digest.records }),
      });
      if (skippedCorrupt > 0 && !last) {
        failures.push(`${replica.id}: skipped ${skippedCorrupt} corrupt record(s)`);
        await discard(target, partition, id);
        continue;
      }
      if (parent && written.records === 0) {
        // Nothing newer than the parent (records removed, a wiped replica): no empty incremental is kept.
        await discard(target, partition, id);
        const unchangedHead = headOf(parent, digest.root, startedAt);
        await writeHead(target, unchangedHead).catch(() => undefined);
        return result('unchanged', parent, unchangedHead, digest.records);
      }
      let watermark: Version = parent?.watermark ?? ZERO_VERSION;
      if (written.maxVersion !== undefined && written.maxVersion > watermark) watermark = written.maxVersion;
      const manifest = signManifest(
        {
          format: MANIFEST_FORMAT,
          formatVersion: MANIFEST_VERSION,
          id,
          partition,
          partitions: options.partitions,
          target: target.id,
          kind,
          base: parent ? parent.base : id,
          parent: parent?.id ?? null,
          since: since ?? null,
          watermark,
          startedAt,
          finishedAt: now(),
          source: { node: replica.id, root: digest.root, records: digest.records },
          origin: options.origin ?? null,
          skippedCorrupt,
          records: written.records,
          tombstones: written.tombstones,
          rawBytes: written.rawBytes,
          bytes: written.bytes,
          compression: options.compression ?? DEFAULT_COMPRESSION,
          encryption: options.key ? { algorithm: 'aes-256-gcm', keyCheck: keyCheckOf(options.key) } : null,
          segments: written.segments,
        },
        options.signing,
      );
      // Every segment's put has returned (durable), so the manifest may name them; written last, it
      // makes the backup complete.
      await target.store.put(`${prefix}/${MANIFEST_FILE}`, serializeManifest(manifest), {
        signal: options.signal,
      });
      const head = headOf(manifest, digest.root, startedAt);
      await writeHead(target, head).catch(() => undefined); // a cache; the manifest is the truth
      return result('written', manifest, head, digest.records);
    } catch (error) {
      await discard(target, partition, id).catch(() => undefined);
      if (isRedoubtError(error) && REPLICA_ERRORS.has(error.code) && !options.signal?.aborted) {
        failures.push(`${replica.id}: ${error.message}`);
        continue;
      }
      throw error;
    }
  }
  throw new RedoubtError(
    'REPLICA_UNAVAILABLE',
    `no replica of partition ${partition} could be read for a backup (${failures.join('; ') || 'no replicas'})`,
    { partition, target: target.id },
  );
}

/** Removes what a failed attempt wrote (no manifest: it never counted as a backup). */
async function discard(target: BackupTarget, partition: number, id: string): Promise<void> {
  await target.store.delete(await backupObjectKeys(target, partition, id));
}

function headOf(latest: BackupManifest, sourceRoot: string, coveredAt: number): BackupHead {
  return {
    partition: latest.partition,
    target: latest.target,
    latest: latest.id,
    watermark: latest.watermark,
    latestStartedAt: latest.startedAt,
    sourceRoot,
    coveredAt,
  };
}

function encryptedUnder(manifest: BackupManifest, key: Buffer): boolean {
  return manifest.encryption !== null && manifest.encryption.keyCheck === keyCheckOf(key);
}

function minVersion(a: Version, b: Version): Version {
  return a < b ? a : b;
}
