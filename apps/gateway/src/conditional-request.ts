import type { IncomingHttpHeaders } from 'node:http';
import { RedoubtError } from '@redoubt/errors';
import type { WriteCondition } from '@redoubt/consensus';
import { isValidVersion } from '@redoubt/records';

/** `x-redoubt-consistency: serial`: a read through a Paxos round (linearizable with conditional writes). */
export const SERIAL = 'serial';

/**
 * The condition of a PUT or DELETE from `If-Match` / `If-None-Match`, or null for a plain
 * last-writer-wins write. Only what has one clear meaning is accepted (CONDITION_INVALID otherwise):
 *   If-None-Match: *       create only (PUT; on DELETE it could never delete anything, so it is refused)
 *   If-Match: *            only if the key has a value
 *   If-Match: "<version>"  only if the current version is exactly that one (one strong ETag)
 * Weak ETags (W/"...") are refused: versions are exact, and RFC 9110 requires strong comparison for
 * If-Match. Lists of ETags, both headers together, and a consistency level other than serial are refused.
 */
export function conditionOf(method: string, headers: IncomingHttpHeaders): WriteCondition | null {
  const ifMatch = headers['if-match'];
  const ifNoneMatch = headers['if-none-match'];
  if (ifMatch === undefined && ifNoneMatch === undefined) return null;
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw invalid('send If-Match or If-None-Match, not both', { header: 'if-match, if-none-match' });
  }
  const consistency = headers['x-redoubt-consistency'];
  if (consistency !== undefined && consistency !== SERIAL) {
    throw new RedoubtError(
      'CONSISTENCY_INVALID',
      `a conditional write always runs a Paxos round at a majority; x-redoubt-consistency may only be "${SERIAL}"`,
      { header: 'x-redoubt-consistency', value: String(consistency) },
    );
  }
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') {
      throw invalid('If-None-Match on a write must be "*" (create only)', { header: 'if-none-match' });
    }
    if (method === 'DELETE') {
      throw invalid('If-None-Match: * on DELETE could never delete anything', { header: 'if-none-match' });
    }
    return { kind: 'absent' };
  }
  const value = ifMatch!.trim();
  if (value === '*') return { kind: 'exists' };
  if (value.startsWith('W/')) {
    throw invalid('weak ETags cannot be used in If-Match: send the strong ETag the key was read with', {
      header: 'if-match',
    });
  }
  const quoted = /^"([^"]*)"$/.exec(value);
  if (!quoted) {
    throw invalid('If-Match must be "*" or one ETag in double quotes, e.g. If-Match: "<version>"', {
      header: 'if-match',
    });
  }
  if (!isValidVersion(quoted[1]!)) {
    throw invalid('the ETag in If-Match is not a version this store issues', { header: 'if-match' });
  }
  return { kind: 'version', version: quoted[1]! };
}

function invalid(message: string, details: { header: string }): RedoubtError {
  return new RedoubtError('CONDITION_INVALID', message, details);
}
