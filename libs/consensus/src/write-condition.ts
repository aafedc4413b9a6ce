import type { StoredRecord, Version } from '@redoubt/records';

/**
 * What a conditional write requires of the key's current record. A tombstone counts as absent: the key
 * has no value, so `If-None-Match: *` may create it again and `If-Match` never matches it.
 *   absent  — `If-None-Match: *` (create only)
 *   exists  — `If-Match: *` (update only)
 *   version — `If-Match: "<etag>"` (only if the current version is that one)
 */
export type WriteCondition = { kind: 'absent' } | { kind: 'exists' } | { kind: 'version'; version: Version };

/** The record's live version, or null when the key has no value (never written, or deleted). */
export function liveVersion(current: StoredRecord | null): Version | null {
  return current && !current.tombstone ? current.version : null;
}

export function conditionHolds(condition: WriteCondition, current: StoredRecord | null): boolean {
  const live = liveVersion(current);
  if (condition.kind === 'absent') return live === null;
  if (condition.kind === 'exists') return live !== null;
  return live === condition.version;
}
