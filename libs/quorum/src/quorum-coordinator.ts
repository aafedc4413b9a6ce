import type { ReplicateJob } from '@redoubt/queues';
import type { StoredRecord } from '@redoubt/records';
import type { HandoffSink } from './handoff-buffer.js';
import { HedgeBudget } from './hedge-scheduler.js';
import { quorumRead, type ReadOutcome, type ReadSettlement } from './quorum-read.js';
import { quorumWrite, type WriteOutcome, type WriteSettlement } from './quorum-write.js';
import type { ReplicaSet } from './replica-client.js';

/** Hooks for metrics and logs; all optional, all called off the response path or after the decision. */
export interface QuorumObserver {
  written?(outcome: WriteOutcome): void;
  read?(outcome: ReadOutcome): void;
  /** A write that finished with replicas that did not take it; `job` is the handoff (null: nothing had it). */
  writeSettled?(settlement: WriteSettlement, job: ReplicateJob | null): void;
  /** A stale or missing replica found by a read; `result` says how it was repaired. */
  repaired?(replica: string, result: 'written' | 'handed-off', record: StoredRecord): void;
}

export interface QuorumCoordinatorOptions {
  handoff: HandoffSink;
  /** See QuorumReadOptions.hedgeAfterMs. */
  hedgeAfterMs?: number;
  /** Hedged requests at most this fraction of reads (default 0.1); see HedgeBudget. */
  hedgeRatio?: number;
  /** Repair stale replicas found by reads (default true). */
  readRepair?: boolean;
  observer?: QuorumObserver;
}

/**
 * Quorum writes and reads over one partition's replicas, with what keeps replicas converging:
 * - hinted handoff: once a write has settled, the replicas that did not ack it (failed or timed out) are
 *   handed to the replication queue with the replicas that did as sources;
 * - read repair: once a read has settled, replicas that answered with an older version or nothing get the
 *   newest record written to them directly; if that fails, they are handed to the queue too.
 * Both happen after the client has its answer.
 */
export class QuorumCoordinator {
  private readonly hedgeAfterMs: number;
  private readonly hedgeBudget: HedgeBudget;
  private readonly readRepair: boolean;
  /** Repairs in flight (replica, key, version): concurrent reads of one stale key repair it once. */
  private readonly repairing = new Set<string>();

  constructor(private readonly options: QuorumCoordinatorOptions) {
    this.hedgeAfterMs = options.hedgeAfterMs ?? 0;
    this.hedgeBudget = new HedgeBudget(options.hedgeRatio ?? 0.1);
    this.readRepair = options.readRepair ?? true;
  }

  async write(set: ReplicaSet, record: StoredRecord, w: number): Promise<WriteOutcome> {
    const outcome = await quorumWrite(set, record, w);
    this.options.observer?.written?.(outcome);
    outcome.onSettled((settlement) => this.handOff(set, record, settlement));
    return outcome;
  }

  async read(set: ReplicaSet, key: string, r: number): Promise<ReadOutcome> {
    const outcome = await quorumRead(set, key, r, {
      hedgeAfterMs: this.hedgeAfterMs,
      hedgeBudget: this.hedgeBudget,
    });
    this.options.observer?.read?.(outcome);
    if (this.readRepair) outcome.onSettled((settlement) => this.repair(set, settlement));
    return outcome;
  }

  private handOff(set: ReplicaSet, record: StoredRecord, settlement: WriteSettlement): void {
    const targets = settlement.failed.concat(settlement.unknown);
    let job: ReplicateJob | null = null;
    if (targets.length > 0 && settlement.acked.length > 0) {
      job = {
        key: record.key,
        partition: set.partition,
        version: record.version,
        targets,
        sources: settlement.acked,
        reason: 'handoff',
        epoch: set.epoch,
      };
      this.options.handoff.submit(job);
    }
    if (targets.length > 0) this.options.observer?.writeSettled?.(settlement, job);
  }

  private repair(set: ReplicaSet, settlement: ReadSettlement): void {
    const newest = settlement.newest;
    if (!newest) return;
    const stale: string[] = [];
    const sources: string[] = [];
    for (const reply of settlement.replies) {
      if (reply.ok && reply.record?.version === newest.version) sources.push(reply.id);
      else if (reply.ok || reply.error === 'RECORD_CORRUPT') stale.push(reply.id);
    }
    for (const id of stale) {
      const replica = set.replicas.find((x) => x.id === id);
      const token = `${id}\u0000${newest.version}\u0000${newest.key}`;
      if (!replica || this.repairing.has(token)) continue;
      this.repairing.add(token);
      replica.put(set.partition, newest).then(
        () => {
          this.repairing.delete(token);
          this.options.observer?.repaired?.(id, 'written', newest);
        },
        () => {
          this.repairing.delete(token);
          this.options.handoff.submit({
            key: newest.key,
            partition: set.partition,
            version: newest.version,
            targets: [id],
            sources,
            reason: 'read-repair',
            epoch: set.epoch,
          });
          this.options.observer?.repaired?.(id, 'handed-off', newest);
        },
      );
    }
  }
}
