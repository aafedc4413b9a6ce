import { compareVersions, isValidVersion } from '@redoubt/records';
import type { WriteRecord } from '../history/write-history.js';
import type { ReadResult } from '../load/gateway-client.js';

export interface LostWrite {
  id: number;
  key: string;
  value: string;
  version: string | null;
  /** What the final read saw instead. */
  read: string;
}

export interface UnexpectedValue {
  key: string;
  value: string;
  version: string | null;
  reason: string;
}

export interface RecoveredWrite {
  id: number;
  key: string;
  value: string;
}

export interface CheckCounts {
  /** Writes invoked. */
  attempted: number;
  acknowledged: number;
  failed: number;
  unknown: number;
  /** Acknowledged writes whose value (or a newer one) is not there. */
  lost: number;
  /** Unknown writes whose value was read back: they were applied after all. */
  recoveredUnknown: number;
  /** Acknowledged writes superseded by a newer value (fine). */
  superseded: number;
  /** Values no write produced, or produced by writes that definitely failed. */
  unexpected: number;
  /** Failed writes (W not reached, some replica confirmed) whose value survives: allowed, reported. */
  failedVisible: number;
  /** Keys whose final read failed: their acknowledged writes could not be verified. */
  unreadable: number;
  keysChecked: number;
}

export interface CheckResult {
  valid: boolean;
  counts: CheckCounts;
  lost: LostWrite[];
  recoveredUnknown: RecoveredWrite[];
  unexpected: UnexpectedValue[];
  unreadable: { key: string; error: string }[];
}

function describeRead(read: ReadResult): string {
  if (read.status === 'found') return `value of version ${read.version}`;
  if (read.status === 'missing') return 'not found';
  return `error ${read.error}`;
}

/** a newer than b; an unparsable version never counts as newer. */
function newer(a: string | null, b: string | null): boolean {
  if (!a || !b || !isValidVersion(a) || !isValidVersion(b)) return false;
  return compareVersions(a, b) > 0;
}

/**
 * Jepsen's set model, per key: after healing, every acknowledged write must be readable with its own value
 * or with a newer one (a later write to the same key won by last-writer-wins). Values are unique per
 * write, so the value read names the write that produced it:
 * - an acknowledged write is lost when its key reads back missing, or with a value older than it;
 * - an unknown write whose value reads back is `recovered-unknown` (it was applied after all);
 * - a value that no write produced, or that a write produced which definitely failed without any replica
 *   confirming it, is `unexpected`. (A failed write that some replica confirmed may legitimately survive:
 *   the gateway says so in its 503; it is counted as failedVisible.)
 */
export function checkSet(
  writes: readonly WriteRecord[],
  reads: ReadonlyMap<string, ReadResult>,
): CheckResult {
  const byKey = new Map<string, WriteRecord[]>();
  const byValue = new Map<string, WriteRecord>();
  const counts: CheckCounts = {
    attempted: writes.length,
    acknowledged: 0,
    failed: 0,
    unknown: 0,
    lost: 0,
    recoveredUnknown: 0,
    superseded: 0,
    unexpected: 0,
    failedVisible: 0,
    unreadable: 0,
    keysChecked: 0,
  };
  for (const write of writes) {
    if (write.status === 'ok') counts.acknowledged += 1;
    else if (write.status === 'failed') counts.failed += 1;
    else counts.unknown += 1;
    byKey.set(write.key, [...(byKey.get(write.key) ?? []), write]);
    byValue.set(write.value, write);
  }

  const result: CheckResult = {
    valid: true,
    counts,
    lost: [],
    recoveredUnknown: [],
    unexpected: [],
    unreadable: [],
  };
  for (const [key, keyWrites] of byKey) {
    const read = reads.get(key);
    const acknowledged = keyWrites.filter((w) => w.status === 'ok');
    if (!read) {
      if (acknowledged.length > 0) result.unreadable.push({ key, error: 'not read back' });
      continue;
    }
    counts.keysChecked += 1;
    if (read.status === 'error') {
      if (acknowledged.length > 0) result.unreadable.push({ key, error: read.error });
      continue;
    }
    if (read.status === 'missing') {
      for (const w of acknowledged)
        result.lost.push({ id: w.id, key, value: w.value, version: w.version, read: describeRead(read) });
      continue;
    }
    const producer = byValue.get(read.value);
    if (!producer || producer.key !== key) {
      result.unexpected.push({
        key,
        value: read.value,
        version: read.version,
        reason: 'no write of this run produced it',
      });
      continue;
    }
    if (producer.status === 'failed') {
      if ((producer.quorum?.confirmed ?? 0) > 0) counts.failedVisible += 1;
      else
        result.unexpected.push({
          key,
          value: read.value,
          version: read.version,
          reason: `written by write ${producer.id}, which failed (${producer.error ?? 'refused'}) with no replica confirming it`,
        });
    }
    if (producer.status === 'unknown' || producer.status === 'invoked')
      result.recoveredUnknown.push({ id: producer.id, key, value: producer.value });
    for (const w of acknowledged) {
      if (w === producer) continue;
      if (newer(read.version, w.version)) counts.superseded += 1;
      else result.lost.push({ id: w.id, key, value: w.value, version: w.version, read: describeRead(read) });
    }
  }
  counts.lost = result.lost.length;
  counts.recoveredUnknown = result.recoveredUnknown.length;
  counts.unexpected = result.unexpected.length;
  counts.unreadable = result.unreadable.length;
  result.valid = counts.lost === 0 && counts.unexpected === 0 && counts.unreadable === 0;
  return result;
}
