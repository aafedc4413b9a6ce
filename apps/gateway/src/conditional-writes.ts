import { RedoubtError } from '@redoubt/errors';
import {
  conditionHolds,
  liveVersion,
  majorityOf,
  PaxosProposer,
  type AcceptorTransport,
  type MessageCount,
  type WriteCondition,
} from '@redoubt/consensus';
import { makeRecord, makeTombstone, type HybridClock, type StoredRecord } from '@redoubt/records';
import type { ReplicaRouter } from './replica-router.js';

/** A write to make if the condition holds: the record is built only then, with a version above the current one. */
export type ConditionalChange = { kind: 'put'; value: Buffer; contentType: string } | { kind: 'delete' };

export interface ConditionalResult {
  record: StoredRecord;
  messages: MessageCount;
  /** Replicas known to have committed it durably: at least a majority. */
  confirmed: number;
}

/**
 * Conditional writes and serial reads for the public API: one Paxos round per request among the key's
 * replicas (libs/consensus), this gateway the proposer. Ballots and new versions come from the gateway's
 * hybrid clock; the version of a new record is made after observing the current one, so it is newer than
 * everything the round read and wins last-writer-wins in the stores too.
 */
export class ConditionalWrites {
  private readonly proposer: PaxosProposer;

  constructor(
    private readonly router: ReplicaRouter,
    private readonly clock: HybridClock,
    transport: AcceptorTransport,
  ) {
    this.proposer = new PaxosProposer({
      transport,
      nextBallot: () => clock.now(),
      observe: (ballot) => observe(clock, ballot),
    });
  }

  /** Applies `change` if `condition` holds; PRECONDITION_FAILED with the current ETag if it does not. */
  async write(key: string, condition: WriteCondition, change: ConditionalChange): Promise<ConditionalResult> {
    const set = this.router.route(key);
    const replicas = set.replicas.map((r) => r.id);
    const outcome = await this.proposer.run({ partition: set.partition, key }, replicas, (current) => {
      if (!conditionHolds(condition, current)) return null;
      if (current) observe(this.clock, current.version);
      const version = this.clock.now();
      return change.kind === 'delete'
        ? makeTombstone(key, version)
        : makeRecord({
            key,
            value: change.value,
            contentType: change.contentType,
            version,
            tombstone: false,
          });
    });
    if (outcome.status === 'declined') throw preconditionFailed(condition, outcome.current);
    return { record: outcome.record, messages: outcome.messages, confirmed: majorityOf(replicas.length) };
  }

  /** The key's record as of a Paxos round: any unfinished conditional write is finished first. */
  async read(key: string): Promise<{ record: StoredRecord | null; messages: MessageCount }> {
    const set = this.router.route(key);
    const replicas = set.replicas.map((r) => r.id);
    const outcome = await this.proposer.run({ partition: set.partition, key }, replicas, () => null);
    return {
      record: outcome.status === 'declined' ? outcome.current : outcome.record,
      messages: outcome.messages,
    };
  }
}

function preconditionFailed(condition: WriteCondition, current: StoredRecord | null): RedoubtError {
  const live = liveVersion(current);
  const etag = live === null ? null : `"${live}"`;
  const message =
    condition.kind === 'absent'
      ? `the key already has a value (ETag ${etag})`
      : live === null
        ? 'the key has no value (never written, or deleted)'
        : `the key's current ETag is ${etag}`;
  return new RedoubtError('PRECONDITION_FAILED', message, { currentEtag: etag });
}

function observe(clock: HybridClock, version: string): void {
  try {
    clock.observe(version);
  } catch {
    // far ahead of this clock: refused, as on the read path (a broken writer must not drag ours along)
  }
}
