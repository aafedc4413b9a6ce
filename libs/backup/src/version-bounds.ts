import { RedoubtError } from '@redoubt/errors';
import { formatVersion, isValidVersion, parseVersion, type Version } from '@redoubt/records';

/** The oldest version stamped at or after wall-clock `ms` (any writer). */
export function versionFloorAt(ms: number): Version {
  return formatVersion({ wall: Math.max(0, Math.floor(ms)), logical: 0, writer: '0' });
}

/** The newest version stamped at or before wall-clock `ms`: writer ids sort below 'z'*64. */
export function versionCeilingAt(ms: number): Version {
  return formatVersion({ wall: Math.max(0, Math.floor(ms)), logical: 0xffff, writer: 'z'.repeat(64) });
}

/** Wall-clock ms a version was stamped at. */
export function wallOf(version: Version): number {
  return parseVersion(version).wall;
}

/**
 * A point in time given by an operator (`--at`): a version string, an ISO-8601 date, or epoch
 * milliseconds. A date means "everything stamped up to and including that millisecond".
 */
export function parsePointInTime(text: string): Version {
  const trimmed = text.trim();
  if (isValidVersion(trimmed)) return trimmed;
  if (/^\d{10,15}$/.test(trimmed)) return versionCeilingAt(Number(trimmed));
  const ms = Date.parse(trimmed);
  if (Number.isFinite(ms) && /^\d{4}-\d{2}-\d{2}/.test(trimmed)) return versionCeilingAt(ms);
  throw new RedoubtError(
    'INVALID_ARGUMENT',
    `--at ${JSON.stringify(text)} is neither a version (000000000000.0000.writer), an ISO date nor epoch milliseconds`,
  );
}
