import type { StoredRecord } from '@redoubt/records';
import { hedgeSchedulerFor, type HedgeBudget } from './hedge-scheduler.js';
import { errorCodeOf, type ReplicaClient, type ReplicaSet } from './replica-client.js';
import { Settlement, SettlingOutcome } from './settlement.js';

/** What one replica answered to a read. */
export type ReplicaReply =
  { id: string; ok: true; record: StoredRecord | null } | { id: string; ok: false; error: string };

export interface ReadSettlement {
  /** Every answer, including the ones that arrived after the decision (hedged or slow replicas). */
  replies: ReplicaReply[];
  /** The newest record among all successful replies (tombstones included), or null. */
  newest: StoredRecord | null;
}

export interface ReadOutcome {
  ok: boolean;
  /** The newest record among the R replies the decision was made on (a tombstone is returned as is). */
  record: StoredRecord | null;
  required: number;
  replicas: number;
  /** Successful replies when the decision was made. */
  confirmed: number;
  failed: number;
  /** Resolves once every call that was started has finished; read repair works from this. */
  readonly settled: Promise<ReadSettlement>;
  /** Same as `settled`, as a callback (no promise is made unless someone asks for one). */
  onSettled(listener: (settlement: ReadSettlement) => void): void;
}

export interface QuorumReadOptions {
  /**
   * When the first R calls have not all answered after this long, ask one more replica (a hedged
   * request), so one slow replica does not set the read's latency. 0 disables hedging.
   */
  hedgeAfterMs?: number;
  /** Limits hedges to a fraction of reads (shared by all reads of a coordinator); unlimited when absent. */
  hedgeBudget?: HedgeBudget;
}

/**
 * Reads from R replicas (available ones first, in placement order), asks the next replica whenever one
 * fails, and one more when the first ones are slow (hedging). Decides as soon as R replies arrived
 * (newest of them wins) or R can no longer be reached.
 */
export function quorumRead(
  set: ReplicaSet,
  key: string,
  r: number,
  options: QuorumReadOptions = {},
): Promise<ReadOutcome> {
  const order = readOrder(set.replicas);
  const n = order.length;
  const required = Math.min(r, n);
  const hedgeAfterMs = options.hedgeAfterMs ?? 0;
  const budget = options.hedgeBudget;
  budget?.earn();
  const hedges = hedgeAfterMs > 0 ? hedgeSchedulerFor(hedgeAfterMs) : undefined;
  let hedgeTicket = -1;
  const replies: ReplicaReply[] = [];
  let newest: StoredRecord | null = null;
  let okReplies = 0;
  let failed = 0;
  let started = 0;
  let finished = 0;
  let decided = false;
  const settlement = new Settlement<ReadSettlement>();
  const settle = (s: ReadSettlement) => settlement.settle(s);

  return new Promise<ReadOutcome>((resolve) => {
    const decide = () => {
      if (decided) return;
      const inFlight = started - finished;
      const untried = n - started;
      if (okReplies >= required || okReplies + inFlight + untried < required) {
        decided = true;
        if (hedgeTicket >= 0) hedges!.cancel(hedgeTicket);
        resolve(new ReadDecision(okReplies >= required, newest, required, n, okReplies, failed, settlement));
      }
    };
    const finish = () => {
      finished += 1;
      decide();
      if (finished === started && (decided || started === n)) settle({ replies, newest });
    };
    const ask = (replica: ReplicaClient) => {
      started += 1;
      let call: Promise<StoredRecord | null>;
      try {
        call = replica.get(set.partition, key);
      } catch (error) {
        call = Promise.reject(error);
      }
      call.then(
        (record) => {
          replies.push({ id: replica.id, ok: true, record });
          okReplies += 1;
          if (record && (newest === null || record.version > newest.version)) newest = record;
          finish();
        },
        (error: unknown) => {
          replies.push({ id: replica.id, ok: false, error: errorCodeOf(error) });
          failed += 1;
          // replace the failed replica with the next one, unless the decision is already made
          if (!decided && started < n) ask(order[started]!);
          finish();
        },
      );
    };
    if (n === 0 || required === 0) {
      decide();
      settle({ replies, newest });
      return;
    }
    for (let i = 0; i < required; i++) ask(order[i]!);
    if (hedges && !decided && started < n) {
      hedgeTicket = hedges.schedule(() => {
        if (!decided && started < n && (!budget || budget.spend())) ask(order[started]!);
      });
    }
  });
}

class ReadDecision extends SettlingOutcome<ReadSettlement> implements ReadOutcome {
  constructor(
    readonly ok: boolean,
    readonly record: StoredRecord | null,
    readonly required: number,
    readonly replicas: number,
    readonly confirmed: number,
    readonly failed: number,
    settlement: Settlement<ReadSettlement>,
  ) {
    super(settlement);
  }
}

/** Replicas whose breaker is closed (or half-open) first, each group in placement order. */
function readOrder(replicas: readonly ReplicaClient[]): readonly ReplicaClient[] {
  let allAvailable = true;
  for (const replica of replicas) {
    if (replica.isAvailable && !replica.isAvailable()) {
      allAvailable = false;
      break;
    }
  }
  if (allAvailable) return replicas;
  const up: ReplicaClient[] = [];
  const down: ReplicaClient[] = [];
  for (const replica of replicas) (replica.isAvailable?.() === false ? down : up).push(replica);
  return up.concat(down);
}
