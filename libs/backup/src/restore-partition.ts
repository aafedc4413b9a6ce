import { RecordFrameBatcher, type DataNodeApi, type RecordFrameBatch } from '@redoubt/cluster-client';
import { RedoubtError, toRedoubtError, type ErrorCode } from '@redoubt/errors';
import type { StoredRecord, Version } from '@redoubt/records';
import { backupKey, byTime, chainOf, listPartitionBackups, manifestPath } from './backup-catalog.js';
import type { BackupTarget } from './backup-targets.js';
import { keyCheckOf } from './encryption-key.js';
import { fanOut } from './fan-out.js';
import type { BackupManifest } from './manifest.js';
import type { ManifestSigning } from './manifest-mac.js';
import type { RecordWithPayload } from './record-framing.js';
import { checkSegmentHash, readSegmentFrames, segmentExpectations } from './segment-reader.js';

/** Bytes of record frames per write to a replica during a restore. */
const RESTORE_BATCH_BYTES = 256 * 1024;
/** Batches queued per replica ahead of the slowest one: bounds a partition restore's memory to ~2 MiB each. */
const RESTORE_BATCHES_AHEAD = 8;

/** One way to restore a partition: a chain (full base first) on one target. */
export interface RestoreCandidate {
  target: BackupTarget;
  chain: BackupManifest[];
  tip: BackupManifest;
  /** Sum of the chain's raw (uncompressed) record bytes: the unit of restore progress. */
  rawBytes: number;
  records: number;
}

export interface RestoreProblem {
  target: string;
  backup: string;
  file: string;
  code: ErrorCode;
  message: string;
}

/**
 * The chains that could restore `partition` (at or before `at`), best first: the newest tip by watermark
 * across every target, one candidate per target. Manifests that fail to parse or to authenticate under
 * `signing`, and broken chains, are returned as problems (they name their files), never as candidates.
 */
export async function restoreCandidates(
  targets: readonly BackupTarget[],
  partition: number,
  signing: ManifestSigning,
  at?: Version,
): Promise<{ candidates: RestoreCandidate[]; problems: RestoreProblem[] }> {
  const candidates: RestoreCandidate[] = [];
  const problems: RestoreProblem[] = [];
  for (const target of targets) {
    let listing;
    try {
      listing = await listPartitionBackups(target, partition, signing);
    } catch (error) {
      problems.push(problemOf(error, target.id, '', target.location));
      continue;
    }
    for (const invalid of listing.invalid)
      problems.push(
        problemOf(invalid.error, target.id, invalid.id, manifestPath(target, partition, invalid.id)),
      );
    const tips = listing.complete
      .filter((b) => at === undefined || b.watermark <= at)
      .sort((a, b) => (a.watermark < b.watermark ? 1 : a.watermark > b.watermark ? -1 : -byTime(a, b)));
    for (const tip of tips) {
      try {
        const chain = chainOf(listing.complete, tip);
        candidates.push({
          target,
          chain,
          tip,
          rawBytes: chain.reduce((n, b) => n + b.rawBytes, 0),
          records: chain.reduce((n, b) => n + b.records, 0),
        });
        break;
      } catch (error) {
        problems.push(problemOf(error, target.id, tip.id, manifestPath(target, partition, tip.id)));
      }
    }
  }
  candidates.sort((a, b) =>
    a.tip.watermark < b.tip.watermark ? 1 : a.tip.watermark > b.tip.watermark ? -1 : -byTime(a.tip, b.tip),
  );
  return { candidates, problems };
}

function problemOf(error: unknown, target: string, backup: string, file: string): RestoreProblem {
  const e = toRedoubtError(error);
  return {
    target,
    backup,
    file: typeof e.details.file === 'string' ? e.details.file : file,
    code: e.code,
    message: e.message,
  };
}

/**
 * Checks a whole chain before a single record of it goes to the cluster: the key (its check value against
 * each manifest), the partition count, and the size and SHA-256 of every segment. Throws the first
 * problem, naming the file.
 */
export async function preverifyChain(
  candidate: RestoreCandidate,
  options: { key?: Buffer; partitions?: number; signal?: AbortSignal },
): Promise<void> {
  for (const manifest of candidate.chain) {
    const { store } = candidate.target;
    const prefix = backupKey(manifest.partition, manifest.id);
    const manifestFile = manifestPath(candidate.target, manifest.partition, manifest.id);
    if (options.partitions !== undefined && manifest.partitions !== options.partitions) {
      throw new RedoubtError(
        'BACKUP_MANIFEST_INVALID',
        `manifest ${manifestFile}: taken from a cluster with ${manifest.partitions} partitions; this one has ${options.partitions}`,
        { file: manifestFile },
      );
    }
    if (!manifest.encryption && options.key) {
      throw new RedoubtError(
        'BACKUP_NOT_ENCRYPTED',
        `backup ${manifestFile} is not encrypted and BACKUP_ENCRYPTION_KEY is set: plaintext backups are refused`,
        { file: manifestFile },
      );
    }
    if (manifest.encryption) {
      if (!options.key) {
        throw new RedoubtError(
          'BACKUP_KEY_INVALID',
          `backup ${manifestFile} is encrypted: set BACKUP_ENCRYPTION_KEY`,
          { file: manifestFile },
        );
      }
      const ours = keyCheckOf(options.key);
      if (ours !== manifest.encryption.keyCheck) {
        throw new RedoubtError(
          'BACKUP_KEY_INVALID',
          `backup ${manifestFile} was encrypted under another key than BACKUP_ENCRYPTION_KEY ` +
            `(the manifest's key check is ${manifest.encryption.keyCheck}, this key's is ${ours})`,
          { file: manifestFile },
        );
      }
    }
    for (const info of manifest.segments) {
      await checkSegmentHash(store, `${prefix}/${info.name}`, info, options.signal);
    }
  }
}

/** The records of a chain in order (base first), decoded and CRC-checked; newer than `at` left out. */
export async function* chainRecords(
  candidate: RestoreCandidate,
  options: ChainReadOptions,
): AsyncGenerator<StoredRecord> {
  for await (const { record } of chainFrames(candidate, options)) yield record;
}

interface ChainReadOptions {
  key?: Buffer;
  at?: Version;
  signal?: AbortSignal;
  onBytes?: (rawBytes: number) => void;
}

/** chainRecords with each record's MessagePack bytes, as the segments hold them. */
async function* chainFrames(
  candidate: RestoreCandidate,
  options: ChainReadOptions,
): AsyncGenerator<RecordWithPayload> {
  for (const manifest of candidate.chain) {
    const prefix = backupKey(manifest.partition, manifest.id);
    for (const info of manifest.segments) {
      let counted = 0;
      const perRecord = info.records > 0 ? info.rawBytes / info.records : 0;
      for await (const frame of readSegmentFrames(
        candidate.target.store,
        `${prefix}/${info.name}`,
        segmentExpectations(manifest, info),
        options.key,
        options.signal,
      )) {
        counted++;
        if (counted % 256 === 0) options.onBytes?.(perRecord * 256);
        if (options.at !== undefined && frame.record.version > options.at) continue;
        yield frame;
      }
      options.onBytes?.(perRecord * (counted % 256));
    }
  }
}

export interface ReplicaRestoreOutcome {
  node: string;
  ok: boolean;
  applied: number;
  stale: number;
  rejected: number;
  error?: string;
}

export type PartitionRestoreStatus = 'restored' | 'partial' | 'failed';

export interface PartitionRestoreResult {
  partition: number;
  status: PartitionRestoreStatus;
  target: string | null;
  /** The backup the restore ended at (the chain's tip) and its watermark. */
  backup: string | null;
  watermark: Version | null;
  chainLength: number;
  records: number;
  rawBytes: number;
  replicas: ReplicaRestoreOutcome[];
  /** Files that were missing, damaged or refused, by name; on failure the first is the reason. */
  problems: RestoreProblem[];
  error: { code: ErrorCode; message: string } | null;
  durationMs: number;
}

export interface RestorePartitionOptions {
  partition: number;
  /** P of the cluster restored into. */
  partitions?: number;
  targets: readonly BackupTarget[];
  /** The partition's replicas in the current placement: each gets the whole chain. */
  replicas: readonly DataNodeApi[];
  /** Restore the newest backup point at or before this version; default: the newest. */
  at?: Version;
  key?: Buffer;
  /** Authenticates every manifest read (manifest-mac.ts). */
  signing: ManifestSigning;
  /**
   * When the best chain is damaged, fall back to an older backup point on another target. Off by default:
   * a restore never silently goes further back in time than asked; it refuses the partition instead.
   */
  allowOlder?: boolean;
  /** Already-known candidates (from a planning pass), saving a second listing. */
  candidates?: { candidates: RestoreCandidate[]; problems: RestoreProblem[] };
  signal?: AbortSignal;
  /** Raw bytes of records read so far for this partition (monotonic within one candidate). */
  onBytes?: (rawBytes: number) => void;
  requestTimeoutMs?: number;
}

/** A partition nothing was restored to (yet): the start of every result, and the answer when it failed. */
function failedRestore(
  partition: number,
  problems: RestoreProblem[],
  error: PartitionRestoreResult['error'] = null,
): PartitionRestoreResult {
  return {
    partition,
    status: 'failed',
    target: null,
    backup: null,
    watermark: null,
    chainLength: 0,
    records: 0,
    rawBytes: 0,
    replicas: [],
    problems,
    error,
    durationMs: 0,
  };
}

/**
 * Restores one partition into the running cluster: picks the chain (newest, or the newest at or before
 * `at`), checks all of it (key, sizes, SHA-256) before sending anything, then streams it to every replica
 * at once. Replicas merge by version (DataNodeApi.streamIn), so a record newer than the backup's is never
 * overwritten and restoring twice changes nothing. A refused partition leaves the cluster untouched.
 */
export async function restorePartition(options: RestorePartitionOptions): Promise<PartitionRestoreResult> {
  const begun = performance.now();
  const { partition } = options;
  const planned =
    options.candidates ?? (await restoreCandidates(options.targets, partition, options.signing, options.at));
  const problems = [...planned.problems];
  const result = failedRestore(partition, problems);
  const finish = (error?: RedoubtError) => {
    if (error) result.error = { code: error.code, message: error.message };
    result.durationMs = performance.now() - begun;
    return result;
  };
  const best = planned.candidates[0];
  if (!best) {
    const reason = problems[0];
    return finish(
      reason
        ? new RedoubtError(reason.code, `partition ${partition}: no usable backup (${reason.message})`)
        : new RedoubtError(
            'BACKUP_NOT_FOUND',
            `partition ${partition}: no backup${options.at ? ` at or before ${options.at}` : ''} on any target`,
          ),
    );
  }
  if (options.replicas.length === 0) {
    return finish(
      new RedoubtError(
        'PLACEMENT_INVALID',
        `partition ${partition} has no replicas in the current placement`,
      ),
    );
  }
  const usable = planned.candidates.filter(
    (c) => options.allowOlder || c.tip.watermark === best.tip.watermark,
  );
  let chosen: RestoreCandidate | undefined;
  for (const candidate of usable) {
    try {
      await preverifyChain(candidate, {
        key: options.key,
        partitions: options.partitions,
        signal: options.signal,
      });
      chosen = candidate;
      break;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      problems.push(problemOf(error, candidate.target.id, candidate.tip.id, candidate.target.location));
    }
  }
  if (!chosen) {
    const first = problems.find((p) => p.code !== 'BACKUP_CHAIN_BROKEN') ?? problems[0]!;
    const older =
      planned.candidates.length > usable.length
        ? ' (an older backup point exists: --allow-older restores it)'
        : '';
    return finish(
      new RedoubtError(first.code, `partition ${partition} refused: ${first.message}${older}`, {
        file: first.file,
      }),
    );
  }
  result.target = chosen.target.id;
  result.backup = chosen.tip.id;
  result.watermark = chosen.tip.watermark;
  result.chainLength = chosen.chain.length;
  let records = 0;
  // Each record framed once, straight from the segment's MessagePack, and the same batches (256 KiB)
  // sent to every replica: no per-replica encoding, few large writes (see the README's benchmark).
  const batches = (async function* () {
    const batcher = new RecordFrameBatcher(RESTORE_BATCH_BYTES);
    for await (const frame of chainFrames(chosen, {
      key: options.key,
      at: options.at,
      signal: options.signal,
      onBytes: options.onBytes,
    })) {
      records++;
      const batch = batcher.addPayload(frame.payload);
      if (batch) yield batch;
    }
    const last = batcher.flush();
    if (last) yield last;
  })();
  const settled = await fanOut(
    batches,
    options.replicas.map(
      (replica) => async (items: AsyncIterable<RecordFrameBatch>) =>
        replica.streamInBatches(partition, items, {
          signal: options.signal,
          timeoutMs: options.requestTimeoutMs,
        }),
    ),
    RESTORE_BATCHES_AHEAD,
  );
  result.records = records;
  result.rawBytes = chosen.rawBytes;
  result.replicas = settled.map((outcome, i) => {
    const node = options.replicas[i]!.id;
    if (outcome.status === 'fulfilled') {
      const value = outcome.value as { applied: number; stale: number; rejected?: number };
      return {
        node,
        ok: (value.rejected ?? 0) === 0,
        applied: value.applied,
        stale: value.stale,
        rejected: value.rejected ?? 0,
      };
    }
    return {
      node,
      ok: false,
      applied: 0,
      stale: 0,
      rejected: 0,
      error: toRedoubtError(outcome.reason).message,
    };
  });
  const good = result.replicas.filter((r) => r.ok).length;
  result.status = good === result.replicas.length ? 'restored' : good > 0 ? 'partial' : 'failed';
  if (result.status !== 'restored') {
    const failed = result.replicas.filter((r) => !r.ok);
    return finish(
      new RedoubtError(
        good > 0 ? 'RESTORE_INCOMPLETE' : 'REPLICA_UNAVAILABLE',
        `partition ${partition}: ${failed.map((r) => `${r.node}: ${r.error ?? `${r.rejected} record(s) rejected`}`).join('; ')}`,
      ),
    );
  }
  return finish();
}

export interface RestorePlan {
  partitions: { partition: number; candidates: RestoreCandidate[]; problems: RestoreProblem[] }[];
  /** Raw bytes of the best chain of each partition: the progress total. */
  rawBytes: number;
  records: number;
}

/** Lists what a restore of these partitions would read (the best chain of each), so progress has a total up front. */
export async function planRestore(
  targets: readonly BackupTarget[],
  partitions: readonly number[],
  signing: ManifestSigning,
  at?: Version,
  concurrency = 8,
): Promise<RestorePlan> {
  const out: RestorePlan['partitions'] = new Array(partitions.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      while (next < partitions.length) {
        const i = next++;
        const found = await restoreCandidates(targets, partitions[i]!, signing, at);
        out[i] = { partition: partitions[i]!, ...found };
      }
    }),
  );
  return {
    partitions: out,
    rawBytes: out.reduce((n, p) => n + (p.candidates[0]?.rawBytes ?? 0), 0),
    records: out.reduce((n, p) => n + (p.candidates[0]?.records ?? 0), 0),
  };
}

export interface RestoreManyOptions extends Omit<
  RestorePartitionOptions,
  'partition' | 'replicas' | 'candidates' | 'onBytes'
> {
  plan: RestorePlan;
  replicasOf: (partition: number) => readonly DataNodeApi[];
  concurrency?: number;
  /** Progress in raw bytes against plan.rawBytes: monotonic, and exactly the total when all are done. */
  onProgress?: (doneBytes: number, result?: PartitionRestoreResult) => void;
}

export interface RestoreSummary {
  ok: boolean;
  partitions: PartitionRestoreResult[];
  restored: number;
  partial: number;
  failed: number;
  records: number;
  rawBytes: number;
  durationMs: number;
}

/** Restores many partitions, `concurrency` at a time; one refused partition does not stop the others. */
export async function restorePartitions(options: RestoreManyOptions): Promise<RestoreSummary> {
  const begun = performance.now();
  const { plan } = options;
  const results: PartitionRestoreResult[] = new Array(plan.partitions.length);
  let done = 0;
  let next = 0;
  const report = (delta: number, result?: PartitionRestoreResult) => {
    done += delta;
    options.onProgress?.(done, result);
  };
  await Promise.all(
    Array.from({ length: Math.max(1, options.concurrency ?? 4) }, async () => {
      while (next < plan.partitions.length) {
        const i = next++;
        const entry = plan.partitions[i]!;
        const share = entry.candidates[0]?.rawBytes ?? 0;
        let counted = 0;
        const result = await restorePartition({
          ...options,
          partition: entry.partition,
          replicas: options.replicasOf(entry.partition),
          candidates: { candidates: entry.candidates, problems: entry.problems },
          onBytes: (bytes) => {
            // Never past this partition's share, never backwards (a fallback candidate re-reads bytes).
            const add = Math.min(bytes, share - counted);
            if (add > 0) {
              counted += add;
              report(add);
            }
          },
        }).catch((error: unknown): PartitionRestoreResult => {
          const e = toRedoubtError(error);
          return failedRestore(entry.partition, entry.problems, { code: e.code, message: e.message });
        });
        results[i] = result;
        report(share - counted, result);
      }
    }),
  );
  const count = (s: PartitionRestoreStatus) => results.filter((r) => r.status === s).length;
  return {
    ok: results.every((r) => r.status === 'restored'),
    partitions: results,
    restored: count('restored'),
    partial: count('partial'),
    failed: count('failed'),
    records: results.reduce((n, r) => n + r.records, 0),
    rawBytes: results.reduce((n, r) => n + r.rawBytes, 0),
    durationMs: performance.now() - begun,
  };
}
