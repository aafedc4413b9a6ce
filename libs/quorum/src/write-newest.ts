import { RedoubtError } from '@redoubt/errors';
import type { HybridClock, StoredRecord } from '@redoubt/records';
import type { WriteOutcome } from './quorum-write.js';
import type { ReplicaSet } from './replica-client.js';

/** Attempts of one client write at most: the first, and retries past a newer version replicas held. */
export const MAX_SUPERSEDE_ATTEMPTS = 3;

/** What `writeNewest` writes through: QuorumCoordinator (handoff and observers included). */
export interface QuorumWriter {
  write(set: ReplicaSet, record: StoredRecord, w: number): Promise<WriteOutcome>;
}

export interface NewestWrite {
  /** The record of the last attempt (its version is the one acknowledged when `outcome.ok`). */
  record: StoredRecord;
  outcome: WriteOutcome;
  /** 1 when the first attempt decided. */
  attempts: number;
}

/**
 * A client write that a read after it will return (decision 0016, supersede-on-stale). A quorum write
 * counts only replicas that took *this* version; when the rest of W answered that they hold a newer one
 * (a writer whose clock runs ahead, within MAX_CLOCK_DRIFT_MS), the clock moves past the newest version
 * seen and the write goes again with a version above it, so the write the client was answered last wins.
 * After MAX_SUPERSEDE_ATTEMPTS it is answered 409 WRITE_SUPERSEDED (writers racing on one key faster than
 * a quorum round trip), never as a success that reads would not return. Other failures return as they are.
 */
export async function writeNewest(
  writer: QuorumWriter,
  clock: HybridClock,
  set: ReplicaSet,
  w: number,
  build: (version: string) => StoredRecord,
): Promise<NewestWrite> {
  for (let attempt = 1; ; attempt++) {
    const record = build(clock.now());
    const outcome = await writer.write(set, record, w);
    const newer = outcome.supersededBy;
    if (outcome.ok || newer === undefined) return { record, outcome, attempts: attempt };
    if (attempt >= MAX_SUPERSEDE_ATTEMPTS)
      throw superseded(record, newer, `through ${attempt} attempts, each with a version past the last seen`);
    try {
      clock.observe(newer);
    } catch {
      throw superseded(
        record,
        newer,
        "and that version is further ahead of this gateway's clock than the allowed drift (MAX_CLOCK_DRIFT_MS)",
      );
    }
  }
}

function superseded(record: StoredRecord, newer: string, why: string): RedoubtError {
  return new RedoubtError(
    'WRITE_SUPERSEDED',
    `replicas hold a newer version of ${record.key} (${newer}) than this write (${record.version}), ${why}; ` +
      'the write was not acknowledged: read the key and write again if it should still win',
    { key: record.key, version: record.version, newerVersion: newer },
  );
}
