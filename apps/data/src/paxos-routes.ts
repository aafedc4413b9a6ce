import type { Express } from 'express';
import { RedoubtError } from '@redoubt/errors';
import { INTERNAL_PREFIX } from '@redoubt/cluster-client';
import type { PaxosAcceptor, PaxosTarget, Proposal } from '@redoubt/consensus';
import { assertIntact, assertVersion, type StoredRecord } from '@redoubt/records';
import type { DataMetrics } from './data-metrics.js';
import { messageBody, rawBody, sendMessage } from './message-http.js';

export const PAXOS_PATHS = {
  prepare: `${INTERNAL_PREFIX}/paxos/prepare`,
  accept: `${INTERNAL_PREFIX}/paxos/accept`,
  commit: `${INTERNAL_PREFIX}/paxos/commit`,
} as const;

/**
 * The acceptor's endpoints (behind the cluster token, like all of /internal/v1; docs/internal-protocol.md),
 * MessagePack in and out:
 *   POST .../paxos/prepare {partition, key, ballot}    -> {promised: true, accepted, committed, current} | {promised: false, higher}
 *   POST .../paxos/accept  {partition, key, proposal}  -> {accepted: true} | {accepted: false, higher}
 *   POST .../paxos/commit  {partition, key, proposal}  -> {committed: true} once the record is durable
 */
export function addPaxosRoutes(
  app: Express,
  acceptor: PaxosAcceptor,
  partitions: number,
  metrics: DataMetrics,
): void {
  app.post(PAXOS_PATHS.prepare, rawBody, async (req, res) => {
    const body = messageBody<Body>(req);
    const reply = await acceptor.prepare({ ...target(body, partitions), ballot: assertVersion(body.ballot) });
    metrics.ops.inc({ op: 'paxos-prepare', outcome: reply.promised ? 'promised' : 'refused' });
    sendMessage(res, reply);
  });

  app.post(PAXOS_PATHS.accept, rawBody, async (req, res) => {
    const body = messageBody<Body>(req);
    const at = target(body, partitions);
    const reply = await acceptor.accept({ ...at, proposal: proposalOf(body, at.key) });
    metrics.ops.inc({ op: 'paxos-accept', outcome: reply.accepted ? 'accepted' : 'refused' });
    sendMessage(res, reply);
  });

  app.post(PAXOS_PATHS.commit, rawBody, async (req, res) => {
    const body = messageBody<Body>(req);
    const at = target(body, partitions);
    await acceptor.commit({ ...at, proposal: proposalOf(body, at.key) });
    metrics.ops.inc({ op: 'paxos-commit', outcome: 'committed' });
    sendMessage(res, { committed: true });
  });
}

/** A message as decoded, before validation. */
interface Body {
  partition?: unknown;
  key?: unknown;
  ballot?: unknown;
  proposal?: { ballot?: unknown; record?: StoredRecord };
}

function target({ partition, key }: Body, partitions: number): PaxosTarget {
  if (
    typeof partition !== 'number' ||
    !Number.isInteger(partition) ||
    partition < 0 ||
    partition >= partitions
  ) {
    throw new RedoubtError('INVALID_ARGUMENT', `partition must be an integer in 0..${partitions - 1}`);
  }
  if (typeof key !== 'string' || key.length === 0) {
    throw new RedoubtError('INVALID_ARGUMENT', 'key must be a non-empty string');
  }
  return { partition, key };
}

/** The proposal of an accept or commit: a valid ballot and an intact record of the same key. */
function proposalOf({ proposal }: Body, key: string): Proposal {
  const ballot = assertVersion(proposal?.ballot);
  const record = proposal?.record;
  if (!record || typeof record !== 'object' || record.key !== key) {
    throw new RedoubtError('INVALID_ARGUMENT', 'the proposal must carry a record of the same key');
  }
  return { ballot, record: assertIntact(record, 'proposal') };
}
