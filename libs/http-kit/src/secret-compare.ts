import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time secret check. Both sides are hashed first so that the comparison is over equal lengths
 * and takes the same time whatever the candidate's length; every accepted secret is compared (no early
 * exit on the first match), so timing does not reveal which key matched either.
 */
export function secretMatches(candidate: string, accepted: readonly string[]): boolean {
  const digest = createHash('sha256').update(candidate).digest();
  let matched = false;
  for (const secret of accepted) {
    const expected = createHash('sha256').update(secret).digest();
    matched = timingSafeEqual(digest, expected) || matched;
  }
  return matched;
}

/** Precomputes digests of accepted secrets for hot paths (the gateway checks a key on every request). */
export function createSecretChecker(accepted: readonly string[]): (candidate: string) => boolean {
  const digests = accepted.map((s) => createHash('sha256').update(s).digest());
  return (candidate) => {
    const digest = createHash('sha256').update(candidate).digest();
    let matched = false;
    for (const expected of digests) matched = timingSafeEqual(digest, expected) || matched;
    return matched;
  };
}
