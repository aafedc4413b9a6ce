import type { PutOutcome } from '@redoubt/cluster-client';
import type { StoredRecord } from '@redoubt/records';
import { errorCodeOf, isUnknownOutcome, type ReplicaSet } from './replica-client.js';
import { Settlement, SettlingOutcome } from './settlement.js';

/**
 * `stale`: the replica answered that it already holds a newer version of the key (the put was durable
 * there but lost by last-writer-wins). It is not an ack: a quorum of such replies would make a write
 * "succeed" that no read will ever return (decision 0016, supersede-on-stale).
 */
export type ReplicaWriteState = 'pending' | 'acked' | 'stale' | 'failed' | 'unknown';

/** Where every replica ended up once all calls finished (acked, failed, or timed out). */
export interface WriteSettlement {
  acked: string[];
  /** Replicas that already held a newer version than ours (our write lost there by last-writer-wins). */
  stale: string[];
  failed: string[];
  /** Timed out (or an unclassifiable error): the write may or may not be on these replicas. */
  unknown: string[];
  /** Error code per replica that did not ack. */
  errors: Record<string, string>;
  /** The newest version any replica reported holding after the put (may be newer than ours). */
  newestCurrent: string | undefined;
}

/** The decision, made as soon as it is certain: W acks arrived, or W can no longer be reached. */
export interface WriteOutcome {
  ok: boolean;
  record: StoredRecord;
  required: number;
  replicas: number;
  /** Replicas that had acknowledged when the decision was made. */
  confirmed: number;
  /** Replicas that reported an error or were not tried (breaker open) when the decision was made. */
  failed: number;
  /** Replicas whose outcome was not known when the decision was made (timed out or still in flight). */
  unknown: number;
  /**
   * Set when the write failed only because replicas hold a newer version: acks plus such replies reached W.
   * The newest version seen; a writer that moves its clock past it and writes again wins.
   */
  supersededBy: string | undefined;
  /** Resolves once every replica call has finished; the handoff is decided from this. */
  readonly settled: Promise<WriteSettlement>;
  /** Same as `settled`, as a callback (no promise is made unless someone asks for one). */
  onSettled(listener: (settlement: WriteSettlement) => void): void;
}

class WriteDecision extends SettlingOutcome<WriteSettlement> implements WriteOutcome {
  constructor(
    readonly ok: boolean,
    readonly record: StoredRecord,
    readonly required: number,
    readonly replicas: number,
    readonly confirmed: number,
    readonly failed: number,
    readonly unknown: number,
    readonly supersededBy: string | undefined,
    settlement: Settlement<WriteSettlement>,
  ) {
    super(settlement);
  }
}

/**
 * Sends the record to every replica of the set at once and decides as soon as the outcome is certain:
 * success with W durable acks of *this* version (without waiting for slower replicas), failure as soon as
 * the acks still possible cannot reach W. A replica that answers `stale` (it holds a newer version) is not
 * an ack; when acks and stale replies together reach W the failure carries `supersededBy`. Calls still running after the decision go on in the background and are
 * reported through `settled`.
 */
export function quorumWrite(set: ReplicaSet, record: StoredRecord, w: number): Promise<WriteOutcome> {
  const replicas = set.replicas;
  const n = replicas.length;
  const required = Math.min(w, n);
  const states: ReplicaWriteState[] = new Array<ReplicaWriteState>(n).fill('pending');
  const errors: Record<string, string> = {};
  let newestCurrent: string | undefined;
  let acks = 0;
  let stale = 0;
  let failed = 0;
  let unknown = 0;
  let finished = 0;
  let decided = false;

  const settlement = new Settlement<WriteSettlement>();
  const settle = (s: WriteSettlement) => settlement.settle(s);

  return new Promise<WriteOutcome>((resolve) => {
    const decide = () => {
      if (decided) return;
      const pending = n - finished;
      if (acks >= required || acks + pending < required) {
        decided = true;
        resolve(
          new WriteDecision(
            acks >= required,
            record,
            required,
            n,
            acks,
            failed,
            unknown + pending,
            acks < required && acks + stale >= required ? newestCurrent : undefined,
            settlement,
          ),
        );
      }
    };
    const done = () => {
      finished += 1;
      decide();
      if (finished === n) settle(settlementOf(replicas, states, errors, newestCurrent));
    };
    if (n === 0) {
      decide();
      settle(settlementOf(replicas, states, errors, newestCurrent));
      return;
    }
    for (let i = 0; i < n; i++) {
      const replica = replicas[i]!;
      let call: Promise<PutOutcome>;
      try {
        call = replica.put(set.partition, record);
      } catch (error) {
        call = Promise.reject(error);
      }
      call.then(
        (outcome) => {
          // A replica that already held exactly this version (a retried put) has it: that is an ack.
          if (outcome.status === 'stale' && outcome.current !== record.version) {
            states[i] = 'stale';
            stale += 1;
          } else {
            states[i] = 'acked';
            acks += 1;
          }
          if (newestCurrent === undefined || outcome.current > newestCurrent) newestCurrent = outcome.current;
          done();
        },
        (error: unknown) => {
          errors[replica.id] = errorCodeOf(error);
          if (isUnknownOutcome(error)) {
            states[i] = 'unknown';
            unknown += 1;
          } else {
            states[i] = 'failed';
            failed += 1;
          }
          done();
        },
      );
    }
  });
}

function settlementOf(
  replicas: ReplicaSet['replicas'],
  states: ReplicaWriteState[],
  errors: Record<string, string>,
  newestCurrent: string | undefined,
): WriteSettlement {
  const s: WriteSettlement = { acked: [], stale: [], failed: [], unknown: [], errors, newestCurrent };
  for (let i = 0; i < replicas.length; i++) {
    const state = states[i];
    if (state === 'acked') s.acked.push(replicas[i]!.id);
    else if (state === 'stale') s.stale.push(replicas[i]!.id);
    else if (state === 'failed') s.failed.push(replicas[i]!.id);
    else s.unknown.push(replicas[i]!.id);
  }
  return s;
}
