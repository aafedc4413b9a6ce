import { RedoubtError } from '@redoubt/errors';

/**
 * Per-request consistency, chosen by the client with `x-redoubt-consistency`:
 * - `one`: W = 1, R = 1 (fastest; a read may miss the latest acknowledged write)
 * - `quorum`: the configured W and R (default 2 and 2 of N = 3: W + R > N, reads see acknowledged writes)
 * - `all`: W = N, R = N (every replica must answer)
 */
export type ConsistencyLevel = 'one' | 'quorum' | 'all';

export const CONSISTENCY_LEVELS: readonly ConsistencyLevel[] = ['one', 'quorum', 'all'];

export interface QuorumPolicy {
  /** N: replicas per partition. */
  n: number;
  /** W: durable acks before a write is acknowledged. */
  w: number;
  /** R: replies a read waits for. */
  r: number;
}

/** Throws CONFIG_INVALID unless 1 <= W <= N and 1 <= R <= N. */
export function checkPolicy(policy: QuorumPolicy): QuorumPolicy {
  const { n, w, r } = policy;
  const ok = [n, w, r].every((x) => Number.isInteger(x) && x >= 1) && w <= n && r <= n;
  if (!ok) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      `quorum needs 1 <= W <= N and 1 <= R <= N (N=${n}, W=${w}, R=${r})`,
      {
        n,
        w,
        r,
      },
    );
  }
  return policy;
}

/** The header value, or the default level when absent. Throws CONSISTENCY_INVALID for anything else. */
export function parseConsistency(value: string | string[] | undefined): ConsistencyLevel {
  if (value === undefined || value === '') return 'quorum';
  if (value === 'quorum' || value === 'one' || value === 'all') return value;
  throw new RedoubtError(
    'CONSISTENCY_INVALID',
    `x-redoubt-consistency must be one of ${CONSISTENCY_LEVELS.join(', ')}; got ${JSON.stringify(value)}`,
    { allowed: [...CONSISTENCY_LEVELS] },
  );
}

/** The acks and replies one request needs, given the replicas it actually has (never more than exist). */
export function requirementsFor(
  level: ConsistencyLevel,
  policy: QuorumPolicy,
  replicas: number = policy.n,
): { w: number; r: number } {
  switch (level) {
    case 'one':
      return { w: 1, r: 1 };
    case 'all':
      return { w: replicas, r: replicas };
    default:
      return { w: Math.min(policy.w, replicas), r: Math.min(policy.r, replicas) };
  }
}
