import { RedoubtError } from '@redoubt/errors';

/**
 * A version is a hybrid logical clock timestamp plus the id of the writer that made it, written as one
 * fixed-width string: `<wall ms, 12 hex>.<logical counter, 4 hex>.<writer id>`.
 *
 * Fixed widths make plain string comparison equal to (wall, logical, writer) order, so versions compare
 * without parsing, sort correctly as LMDB values and make stable ETags. Last writer wins; equal clocks
 * are broken deterministically by writer id, so every replica picks the same winner.
 */
export type Version = string;

export interface VersionParts {
  wall: number; // milliseconds since the epoch
  logical: number; // 0..65535
  writer: string;
}

const WRITER_RE = /^[A-Za-z0-9_-]{1,64}$/;
const VERSION_RE = /^[0-9a-f]{12}\.[0-9a-f]{4}\.[A-Za-z0-9_-]{1,64}$/;
export const MAX_LOGICAL = 0xffff;

/** The smallest possible version: older than anything a clock produces. */
export const ZERO_VERSION: Version = '000000000000.0000.0';

export function isValidWriterId(writer: string): boolean {
  return WRITER_RE.test(writer);
}

export function formatVersion(parts: VersionParts): Version {
  if (!isValidWriterId(parts.writer)) {
    throw new RedoubtError(
      'VERSION_INVALID',
      `writer id ${JSON.stringify(parts.writer)} is not [A-Za-z0-9_-]{1,64}`,
    );
  }
  if (!Number.isInteger(parts.wall) || parts.wall < 0 || parts.wall > 0xffffffffffff) {
    throw new RedoubtError('VERSION_INVALID', `wall clock ${parts.wall} out of range`);
  }
  if (!Number.isInteger(parts.logical) || parts.logical < 0 || parts.logical > MAX_LOGICAL) {
    throw new RedoubtError('VERSION_INVALID', `logical counter ${parts.logical} out of range`);
  }
  return `${parts.wall.toString(16).padStart(12, '0')}.${parts.logical.toString(16).padStart(4, '0')}.${parts.writer}`;
}

export function isValidVersion(version: unknown): version is Version {
  return typeof version === 'string' && VERSION_RE.test(version);
}

export function assertVersion(version: unknown): Version {
  if (!isValidVersion(version)) {
    throw new RedoubtError('VERSION_INVALID', `malformed version ${JSON.stringify(version)}`);
  }
  return version;
}

export function parseVersion(version: Version): VersionParts {
  assertVersion(version);
  return {
    wall: parseInt(version.slice(0, 12), 16),
    logical: parseInt(version.slice(13, 17), 16),
    writer: version.slice(18),
  };
}

/** -1 if a is older than b, 1 if newer, 0 if the same version. */
export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isNewer(candidate: Version, than: Version | undefined | null): boolean {
  return than == null || candidate > than;
}
