import { hash, timingSafeEqual } from 'node:crypto';

/** One-shot SHA-256 (`crypto.hash`, Node >= 20.12): half the cost of a createHash object per call. */
const sha256 = (text: string): Buffer => hash('sha256', text, 'buffer');

/**
 * Constant-time secret check. Both sides are hashed first so that the comparison is over equal lengths
 * and takes the same time whatever the candidate's length; every accepted secret is compared (no early
 * exit on the first match), so timing does not reveal which key matched either.
 */
export function secretMatches(candidate: string, accepted: readonly string[]): boolean {
  const digest = sha256(candidate);
  let matched = false;
  for (const secret of accepted) {
    const expected = sha256(secret);
    matched = timingSafeEqual(digest, expected) || matched;
  }
  return matched;
}

/** Precomputes digests of accepted secrets for hot paths (the gateway checks a key on every request). */
export function createSecretChecker(accepted: readonly string[]): (candidate: string) => boolean {
  const digests = accepted.map(sha256);
  return (candidate) => {
    const digest = sha256(candidate);
    let matched = false;
    for (const expected of digests) matched = timingSafeEqual(digest, expected) || matched;
    return matched;
  };
}
