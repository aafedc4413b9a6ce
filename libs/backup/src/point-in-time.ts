import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import type { StoredRecord, Version } from '@redoubt/records';
import { byTime, chainOf, listPartitionBackups, readHead } from './backup-catalog.js';
import type { BackupTarget } from './backup-targets.js';
import type { BackupManifest } from './manifest.js';
import type { ManifestSigning } from './manifest-mac.js';
import {
  chainRecords,
  preverifyChain,
  type RestoreCandidate,
  type RestoreProblem,
} from './restore-partition.js';
import { wallOf } from './version-bounds.js';

/**
 * "The state of a partition as of T", from its backups (see README, "Point-in-time undo"). Backups are
 * snapshots taken at their scan start (`startedAt`), so T is bracketed by two backup points on a target:
 *
 * - `before`: the newest backup whose scan started at or before T (there must be one: T earlier than the
 *   oldest backup is refused, the state then is in no backup);
 * - `after`: the oldest backup whose scan started after T, if any. Its records with a version <= T are
 *   versions that were still live after T, i.e. live at T.
 *
 * The records read are those of both chains (the chain up to `before`, and the chain up to `after`,
 * which is the same chain plus `after` unless `after` is a new full); for each key the newest version
 * <= T wins. That is exact for every key whose version live at T was seen by one of these backups; a
 * version written after `before`'s scan and replaced after T but before `after`'s scan is in no backup,
 * and for such a key the newest older version the backups hold (or "absent") is taken.
 */
export interface PointInTimeChain {
  partition: number;
  at: Version;
  target: BackupTarget;
  before: BackupManifest;
  after: BackupManifest | null;
  /** Every backup whose records are read, oldest first (full bases first). */
  backups: BackupManifest[];
  /**
   * Until when (wall ms) the backups are known to reflect the partition: `after`'s scan start, or, with no
   * backup after T, `before`'s scan start extended by head.json when a later check found it unchanged.
   */
  coveredUntil: number;
  /** T lies after `coveredUntil`: writes between then and T that were replaced after T are in no backup. */
  gapMs: number;
  /** Damaged or unreadable backups passed over on the way (another target's copy was used). */
  problems: RestoreProblem[];
}

interface Bracket {
  target: BackupTarget;
  before: BackupManifest;
  after: BackupManifest | null;
  backups: BackupManifest[];
}

function problemOf(error: unknown, target: string, backup: string, file: string): RestoreProblem {
  const e = toRedoubtError(error);
  const named = typeof e.details.file === 'string' ? e.details.file : file;
  return { target, backup, file: named, code: e.code, message: e.message };
}

/** The two backup points around T on one target, and the backups whose records to read. */
function bracketOn(target: BackupTarget, complete: BackupManifest[], atMs: number): Bracket | null {
  const sorted = [...complete].sort(byTime);
  const beforeIndex = sorted.findLastIndex((b) => b.startedAt <= atMs);
  if (beforeIndex < 0) return null;
  const before = sorted[beforeIndex]!;
  const after = sorted[beforeIndex + 1] ?? null;
  const byId = new Map<string, BackupManifest>();
  for (const b of chainOf(complete, before)) byId.set(b.id, b);
  if (after) for (const b of chainOf(complete, after)) byId.set(b.id, b);
  return { target, before, after, backups: [...byId.values()].sort(byTime) };
}

/**
 * Finds the backups that hold `partition` as of `at` and checks all of them (key, P, size and SHA-256 of
 * every segment) before anything is read. Targets are tried best first: one with a backup after T (no
 * gap), then the latest `before`; a damaged copy falls back to the next target and is reported.
 * Refuses (BACKUP_NOT_FOUND) when no target has a backup at or before T.
 */
export async function pointInTimeChain(
  targets: readonly BackupTarget[],
  partition: number,
  at: Version,
  options: { key?: Buffer; signing: ManifestSigning; partitions?: number; signal?: AbortSignal },
): Promise<PointInTimeChain> {
  const atMs = wallOf(at);
  const problems: RestoreProblem[] = [];
  const brackets: Bracket[] = [];
  let oldest: number | undefined;
  for (const target of targets) {
    try {
      const listing = await listPartitionBackups(target, partition, options.signing);
      for (const invalid of listing.invalid)
        problems.push(problemOf(invalid.error, target.id, invalid.id, invalid.dir));
      for (const b of listing.complete) oldest = Math.min(oldest ?? b.startedAt, b.startedAt);
      const bracket = bracketOn(target, listing.complete, atMs);
      if (bracket) brackets.push(bracket);
    } catch (error) {
      problems.push(problemOf(error, target.id, '', target.location));
    }
  }
  brackets.sort(
    (a, b) =>
      Number(b.after !== null) - Number(a.after !== null) ||
      b.before.startedAt - a.before.startedAt ||
      -byTime(a.before, b.before),
  );
  for (const bracket of brackets) {
    const candidate: RestoreCandidate = {
      target: bracket.target,
      chain: bracket.backups,
      tip: bracket.after ?? bracket.before,
      rawBytes: bracket.backups.reduce((n, b) => n + b.rawBytes, 0),
      records: bracket.backups.reduce((n, b) => n + b.records, 0),
    };
    try {
      await preverifyChain(candidate, options);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      problems.push(problemOf(error, bracket.target.id, candidate.tip.id, bracket.target.location));
      continue;
    }
    let coveredUntil = bracket.after?.startedAt ?? bracket.before.startedAt;
    if (!bracket.after) {
      const head = await readHead(bracket.target, partition);
      if (head?.latest === bracket.before.id) coveredUntil = Math.max(coveredUntil, head.coveredAt);
    }
    return {
      partition,
      at,
      ...bracket,
      coveredUntil,
      gapMs: Math.max(0, atMs - coveredUntil),
      problems,
    };
  }
  const damaged = problems[0];
  if (brackets.length > 0 && damaged) {
    throw new RedoubtError(
      damaged.code,
      `partition ${partition}: every copy of its backups around ${new Date(atMs).toISOString()} was refused: ${damaged.message}`,
      { partition, file: damaged.file },
    );
  }
  throw new RedoubtError(
    'BACKUP_NOT_FOUND',
    oldest === undefined
      ? `partition ${partition}: no backup on any target${damaged ? ` (${damaged.message})` : ''}`
      : `partition ${partition}: ${new Date(atMs).toISOString()} is before its oldest backup (${new Date(oldest).toISOString()}); the state then is in no backup`,
    { partition },
  );
}

/**
 * The records of the partition as of T: for each key (that `wanted` accepts) the newest version <= T in
 * the chain's backups, tombstones included (a tombstone means "deleted at T"). Decoded and CRC-checked.
 */
export async function stateAt(
  chain: PointInTimeChain,
  options: { key?: Buffer; wanted?: (key: string) => boolean; signal?: AbortSignal } = {},
): Promise<Map<string, StoredRecord>> {
  const state = new Map<string, StoredRecord>();
  const candidate: RestoreCandidate = {
    target: chain.target,
    chain: chain.backups,
    tip: chain.after ?? chain.before,
    rawBytes: 0,
    records: 0,
  };
  for await (const record of chainRecords(candidate, {
    key: options.key,
    at: chain.at,
    signal: options.signal,
  })) {
    if (options.wanted && !options.wanted(record.key)) continue;
    const held = state.get(record.key);
    if (!held || record.version > held.version) state.set(record.key, record);
  }
  return state;
}
