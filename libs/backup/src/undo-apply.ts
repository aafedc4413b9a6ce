import { toRedoubtError } from '@redoubt/errors';
import { quorumWrite, type ReplicaSet } from '@redoubt/quorum';
import {
  MAX_LOGICAL,
  formatVersion,
  makeRecord,
  makeTombstone,
  parseVersion,
  type HybridClock,
  type StoredRecord,
  type Version,
} from '@redoubt/records';
import type { UndoAction, UndoChange } from './undo-plan.js';

/** How one key's undo write ended. */
export interface UndoWriteResult {
  key: string;
  partition: number;
  action: UndoAction;
  /** The new version written (above the key's current one). */
  version: Version;
  /** W replicas acknowledged it durably, like a client write. */
  ok: boolean;
  acked: number;
  required: number;
  /** Replicas that did not take it (failed or timed out): read repair and anti-entropy converge them. */
  missed: string[];
  /** A replica already held a newer version (a write made during the undo): that write wins. */
  superseded: boolean;
  error: string | null;
}

/**
 * A version strictly above `current` from the undo's own hybrid logical clock (so last-writer-wins keeps
 * the undo: it is newer than what it replaces, on every replica). A current version further ahead of
 * this clock than the clock accepts (a writer with a broken clock) is stepped over by one logical tick.
 */
export function versionAbove(clock: HybridClock, current: Version | undefined): Version {
  if (current !== undefined) {
    try {
      clock.observe(current);
    } catch {
      const p = parseVersion(current);
      const next =
        p.logical < MAX_LOGICAL ? { ...p, logical: p.logical + 1 } : { ...p, wall: p.wall + 1, logical: 0 };
      return formatVersion({ wall: next.wall, logical: next.logical, writer: clock.writer });
    }
  }
  return clock.now();
}

/** The record that undoes one change: the value as of T again, or a tombstone, under a new version. */
export function undoRecordOf(change: UndoChange, version: Version): StoredRecord {
  if (change.action === 'delete' || !change.past) return makeTombstone(change.key, version);
  return makeRecord({
    key: change.key,
    value: change.past.value,
    contentType: change.past.contentType,
    version,
    tombstone: false,
  });
}

export interface ApplyUndoOptions {
  /** The partition's replicas (placement order) and epoch, as the gateway writes them. */
  set: ReplicaSet;
  /** W: durable acks a write needs, the gateway's WRITE_QUORUM. */
  w: number;
  clock: HybridClock;
  /** Writes in flight at once (default 32; the data node client batches them). */
  concurrency?: number;
}

/**
 * Writes every change of one partition as a new version through the quorum write path (libs/quorum:
 * sent to every replica, ok at W durable acks) and waits until every replica call has settled, so the
 * report names the replicas that missed a write. One failed key does not stop the others.
 */
export async function applyUndoChanges(
  changes: readonly UndoChange[],
  options: ApplyUndoOptions,
): Promise<UndoWriteResult[]> {
  const results: UndoWriteResult[] = new Array(changes.length);
  let next = 0;
  const worker = async () => {
    while (next < changes.length) {
      const i = next++;
      const change = changes[i]!;
      const version = versionAbove(options.clock, change.current?.version);
      const result: UndoWriteResult = {
        key: change.key,
        partition: options.set.partition,
        action: change.action,
        version,
        ok: false,
        acked: 0,
        required: Math.min(options.w, options.set.replicas.length),
        missed: [],
        superseded: false,
        error: null,
      };
      try {
        const outcome = await quorumWrite(options.set, undoRecordOf(change, version), options.w);
        const settlement = await outcome.settled;
        // A newer client write that replicas already hold wins over the undo (stale replies are not acks
        // since decision 0016 (supersede-on-stale)): the undo is done, and counted as superseded below.
        result.ok = outcome.ok || outcome.supersededBy !== undefined;
        result.acked = settlement.acked.length;
        result.missed = [...settlement.failed, ...settlement.unknown];
        result.superseded = settlement.newestCurrent !== undefined && settlement.newestCurrent > version;
        if (!outcome.ok) {
          result.error = `QUORUM_NOT_REACHED: ${settlement.acked.length} of ${result.required} acks (${Object.entries(
            settlement.errors,
          )
            .map(([node, code]) => `${node}: ${code}`)
            .join(', ')})`;
        }
      } catch (error) {
        const e = toRedoubtError(error);
        result.error = `${e.code}: ${e.message}`;
      }
      results[i] = result;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 32) }, worker));
  return results;
}
