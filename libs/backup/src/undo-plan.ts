import type { DataNodeApi, RequestOptions } from '@redoubt/cluster-client';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import type { StoredRecord, Version } from '@redoubt/records';

/**
 * What a point-in-time undo changes in one partition: the difference between the state as of T (from the
 * backups, point-in-time.ts) and the current state (read from the replicas, newest version wins).
 */
export type UndoAction = 'overwrite' | 'delete' | 'bring-back';

export interface UndoChange {
  key: string;
  action: UndoAction;
  /** The newest record the replicas hold now (null: none has the key). */
  current: StoredRecord | null;
  /** The record as of T (null: the key did not exist then). A delete writes a tombstone instead. */
  past: StoredRecord | null;
}

export interface PartitionDiff {
  changes: UndoChange[];
  /** Keys in scope whose content is already what it was at T (nothing to write). */
  unchanged: number;
}

function alive(record: StoredRecord | null | undefined): record is StoredRecord {
  return record != null && !record.tombstone;
}

function sameContent(a: StoredRecord, b: StoredRecord): boolean {
  return a.contentType === b.contentType && Buffer.from(a.value).equals(Buffer.from(b.value));
}

/**
 * Per key: the state at T is the newest of the backups' version <= T and the current version when that
 * is <= T (a key nobody wrote after T already is as it was). Then:
 * - existed at T, exists now with other content: overwrite;
 * - existed at T, deleted or missing now: bring back;
 * - did not exist at T (absent or a tombstone), exists now: delete.
 * Content is compared, not versions, so undoing twice writes nothing the second time.
 */
export function diffAgainstPast(
  past: ReadonlyMap<string, StoredRecord>,
  current: ReadonlyMap<string, StoredRecord>,
  at: Version,
): PartitionDiff {
  const changes: UndoChange[] = [];
  let unchanged = 0;
  const keys = [...new Set([...past.keys(), ...current.keys()])].sort();
  for (const key of keys) {
    const now = current.get(key) ?? null;
    let then = past.get(key) ?? null;
    if (now && now.version <= at && (!then || now.version > then.version)) then = now;
    if (alive(then)) {
      if (alive(now) && sameContent(now, then)) unchanged++;
      else changes.push({ key, action: alive(now) ? 'overwrite' : 'bring-back', current: now, past: then });
    } else if (alive(now)) {
      changes.push({ key, action: 'delete', current: now, past: then });
    } else {
      unchanged++;
    }
  }
  return { changes, unchanged };
}

export interface LiveReadOptions extends RequestOptions {
  /** Replicas that must answer completely (the read quorum R); the newest version among them wins. */
  readQuorum: number;
  /** Only keys this accepts are kept (the undo's scope). */
  wanted?: (key: string) => boolean;
}

/**
 * The current records of a partition, read from every replica at once (streamOut) and merged, newest
 * version per key. Refuses (REPLICA_UNAVAILABLE) unless `readQuorum` replicas streamed their whole
 * partition: with R + W > N the merge then holds every acknowledged write.
 */
export async function readLivePartition(
  replicas: readonly DataNodeApi[],
  partition: number,
  options: LiveReadOptions,
): Promise<Map<string, StoredRecord>> {
  const merged = new Map<string, StoredRecord>();
  const settled = await Promise.allSettled(
    replicas.map(async (replica) => {
      for await (const record of replica.streamOut(partition, {
        signal: options.signal,
        timeoutMs: options.timeoutMs,
      })) {
        if (options.wanted && !options.wanted(record.key)) continue;
        const held = merged.get(record.key);
        if (!held || record.version > held.version) merged.set(record.key, record);
      }
    }),
  );
  assertQuorum(settled, replicas, partition, options.readQuorum);
  return merged;
}

/** The current record of one key, from every replica (get), newest version wins; same quorum rule. */
export async function readLiveKey(
  replicas: readonly DataNodeApi[],
  partition: number,
  key: string,
  options: LiveReadOptions,
): Promise<Map<string, StoredRecord>> {
  const settled = await Promise.allSettled(
    replicas.map((replica) =>
      replica.get(partition, key, { signal: options.signal, timeoutMs: options.timeoutMs }),
    ),
  );
  assertQuorum(settled, replicas, partition, options.readQuorum);
  let newest: StoredRecord | null = null;
  for (const outcome of settled) {
    const record = outcome.status === 'fulfilled' ? outcome.value : null;
    if (record && (!newest || record.version > newest.version)) newest = record;
  }
  return new Map(newest ? [[key, newest]] : []);
}

function assertQuorum(
  settled: PromiseSettledResult<unknown>[],
  replicas: readonly DataNodeApi[],
  partition: number,
  readQuorum: number,
): void {
  const answered = settled.filter((s) => s.status === 'fulfilled').length;
  const needed = Math.min(readQuorum, replicas.length);
  if (replicas.length > 0 && answered >= needed) return;
  const why = settled
    .map((s, i) =>
      s.status === 'rejected' ? `${replicas[i]!.id}: ${toRedoubtError(s.reason).message}` : undefined,
    )
    .filter(Boolean)
    .join('; ');
  throw new RedoubtError(
    'REPLICA_UNAVAILABLE',
    `partition ${partition}: ${answered} of ${replicas.length} replica(s) answered, ${needed} needed to know its current state${why ? ` (${why})` : ''}`,
    { partition },
  );
}
