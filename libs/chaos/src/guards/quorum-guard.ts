import { replicasOf, type PlacementMatrix } from '@redoubt/placement';
import type { FaultKind } from '../scenario/scenario-schema.js';

/** Faults that take a target out of service (a pause answers nothing; a restart is down while it restarts). */
export const DISRUPTIVE_FAULTS: readonly FaultKind[] = [
  'kill',
  'stop',
  'pause',
  'restart',
  'crash',
  'disconnect',
];

export interface QuorumGuardInput {
  placement: PlacementMatrix;
  writeQuorum: number;
  /** Data node ids that answer now (and are not under another fault). */
  live: ReadonlySet<string>;
  /** The data node the fault would take out. */
  target: string;
}

export interface QuorumGuardVerdict {
  allowed: boolean;
  /** Partitions that would have fewer than W live replicas. */
  partitionsBelowW: number;
  /** A few of them, for the message. */
  examples: number[];
  reason: string;
}

/**
 * Refuses a fault that would leave any partition with fewer than W live replicas: writes to it could not
 * be acknowledged, so the run would test unavailability, not durability (allow it per fault when that is
 * the point). Counts over the placement's rows with the target removed from the live set.
 */
export function checkQuorumGuard(input: QuorumGuardInput): QuorumGuardVerdict {
  const { placement, writeQuorum, live, target } = input;
  const examples: number[] = [];
  let below = 0;
  for (let p = 0; p < placement.partitions; p += 1) {
    const alive = replicasOf(placement, p).filter((id) => id !== target && live.has(id)).length;
    if (alive < writeQuorum) {
      below += 1;
      if (examples.length < 5) examples.push(p);
    }
  }
  return {
    allowed: below === 0,
    partitionsBelowW: below,
    examples,
    reason:
      below === 0
        ? `every partition keeps at least W=${writeQuorum} live replicas without ${target}`
        : `without ${target}, ${below} partitions would have fewer than W=${writeQuorum} live replicas ` +
          `(e.g. ${examples.join(', ')}); live data nodes: ${[...live].filter((id) => id !== target).join(', ') || 'none'}`,
  };
}
