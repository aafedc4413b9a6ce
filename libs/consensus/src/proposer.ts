import { RedoubtError } from '@redoubt/errors';
import type { StoredRecord } from '@redoubt/records';
import { gather, majorityOf } from './gather.js';
import type {
  AcceptReply,
  AcceptorTransport,
  Ballot,
  PaxosTarget,
  PrepareReply,
  Proposal,
} from './paxos-messages.js';

type Promised = Extract<PrepareReply, { promised: true }>;

export interface ProposerOptions {
  transport: AcceptorTransport;
  /** A ballot above every ballot this proposer made or observed (the gateway's hybrid clock). */
  nextBallot(): Ballot;
  /** Called with a higher ballot an acceptor named, so that the next one is above it. */
  observe(ballot: Ballot): void;
  /** Rounds before giving up under contention. Default 12. */
  maxAttempts?: number;
  /** Pause before round `attempt + 1` after a refused round `attempt`; randomised so that rivals stop colliding. */
  backoffMs?: (attempt: number) => number;
}

/**
 * Decides, from the key's current record (read through a majority in the same round), what to propose:
 * a record, or null to propose nothing (a failed condition, or a read).
 */
export type Decide = (current: StoredRecord | null) => StoredRecord | null;

export type RoundOutcome =
  | { status: 'applied'; record: StoredRecord; messages: MessageCount }
  | { status: 'declined'; current: StoredRecord | null; messages: MessageCount };

/** Round trips per phase, for metrics and the benchmark (a clean conditional write: 1 + 1 + 1). */
export interface MessageCount {
  prepare: number;
  accept: number;
  commit: number;
}

/**
 * The proposer of single-decree Paxos per key, the way Cassandra's lightweight transactions (Paxos v1) run
 * one: prepare/promise with a ballot, finish any accepted proposal a majority reports that is newer than
 * its last commit, read the current record (folded into the promises here, one round trip less than
 * Cassandra's separate read), propose/accept, commit. Each instance of a key is settled by a commit; the
 * next conditional write on the key is the next instance, told apart by the ballot of the last commit.
 *
 * Failures throw CONSENSUS_NOT_REACHED with `details.outcome`: `not-applied` when no accept of this
 * write can have landed anywhere, `unknown` when one may have (it may still be chosen later, by this or
 * another proposer finishing it).
 */
export class PaxosProposer {
  private readonly maxAttempts: number;
  private readonly backoffMs: (attempt: number) => number;

  constructor(private readonly options: ProposerOptions) {
    this.maxAttempts = options.maxAttempts ?? 12;
    // exponential from 10 ms, capped at 1 s, full jitter: rivals on one key stop colliding within a few
    // rounds even when a round takes hundreds of milliseconds (a loaded node's fsyncs)
    this.backoffMs = options.backoffMs ?? ((attempt) => Math.random() * Math.min(10 * 2 ** attempt, 1_000));
  }

  async run(target: PaxosTarget, replicas: readonly string[], decide: Decide): Promise<RoundOutcome> {
    const { transport } = this.options;
    const needed = majorityOf(replicas.length);
    const messages: MessageCount = { prepare: 0, accept: 0, commit: 0 };
    /** Our own proposal once an accept of it was sent: later rounds must settle it, never make a second one. */
    let ours: StoredRecord | null = null;
    let oursMayHaveLanded = false;

    let refused = false;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (refused) await sleep(this.backoffMs(attempt - 1));
      refused = false;
      const ballot = this.options.nextBallot();
      messages.prepare++;
      const prepared = await gather(
        replicas,
        (replica) => transport.prepare(replica, { ...target, ballot }),
        (reply) => reply.promised,
        needed,
      );
      if (prepared.ok.length < needed) {
        refused = this.sawHigher(prepared.refused);
        if (refused) continue; // a rival's ballot: back off, retry above it
        throw this.failure('prepare', oursMayHaveLanded, prepared.ok.length, needed, attempt);
      }
      const promises = prepared.ok.map((p) => p.reply as Promised);

      // An accepted proposal newer than the newest commit a majority knows may have been chosen: finish it
      // under our ballot before anything else (possibly our own from an earlier round), then start over.
      const unfinished = newestUnfinished(promises);
      if (unfinished) {
        const finished = await this.acceptAndCommit(
          target,
          replicas,
          { ballot, record: unfinished },
          messages,
        );
        refused = finished === 'refused';
        if (refused) continue;
        if (finished === 'committed' && ours && unfinished.version === ours.version) {
          return { status: 'applied', record: ours, messages };
        }
        if (finished === 'uncertain') {
          throw this.failure('commit', oursMayHaveLanded, null, needed, attempt);
        }
        continue;
      }

      const current = newestRecord(promises);
      if (ours && current?.version === ours.version) return { status: 'applied', record: ours, messages };
      const decided = decide(current);
      if (decided === null) {
        // our earlier accept may yet be chosen by someone finishing it: a refusal now could be a lie
        if (oursMayHaveLanded) {
          throw this.failure(
            'prepare',
            true,
            null,
            needed,
            attempt,
            'an earlier round of this write was cut short',
          );
        }
        return { status: 'declined', current, messages };
      }
      // A retry re-proposes the same record (one write, one version), and only while it can still win.
      const record: StoredRecord = ours ?? decided;
      if (ours && current && current.version >= ours.version) {
        throw this.failure(
          'accept',
          true,
          null,
          needed,
          attempt,
          'an earlier round of this write was cut short',
        );
      }
      ours = record;
      const outcome = await this.acceptAndCommit(target, replicas, { ballot, record }, messages, () => {
        oursMayHaveLanded = true;
      });
      if (outcome === 'committed') return { status: 'applied', record, messages };
      if (outcome === 'uncertain') throw this.failure('commit', true, null, needed, attempt);
      // refused by a higher ballot: the next round finds our proposal if it landed somewhere that matters,
      // and makes a fresh one if it landed nowhere
      refused = true;
      if (!oursMayHaveLanded) ours = null;
    }
    throw this.failure(
      'prepare',
      oursMayHaveLanded,
      null,
      needed,
      this.maxAttempts,
      `the key stayed contended for ${this.maxAttempts} rounds`,
    );
  }

  /**
   * Accept by a majority, then commit to every replica and wait for a majority to have it durably (so a
   * plain quorum read sees it). `committed`: done; `refused`: a higher ballot stopped the accept;
   * `uncertain`: chosen or possibly chosen, but not confirmed committed by a majority.
   */
  private async acceptAndCommit(
    target: PaxosTarget,
    replicas: readonly string[],
    proposal: Proposal,
    messages: MessageCount,
    onSent?: () => void,
  ): Promise<'committed' | 'refused' | 'uncertain'> {
    const { transport } = this.options;
    const needed = majorityOf(replicas.length);
    messages.accept++;
    const accepted = await gather(
      replicas,
      (replica) => transport.accept(replica, { ...target, proposal }),
      (reply: AcceptReply) => reply.accepted,
      needed,
    );
    if (accepted.ok.length > 0 || accepted.failed > 0 || accepted.pending > 0) onSent?.();
    if (accepted.ok.length < needed) {
      if (this.sawHigher(accepted.refused)) return 'refused';
      return 'uncertain';
    }
    messages.commit++;
    const committed = await gather(
      replicas,
      (replica) => transport.commit(replica, { ...target, proposal }).then(() => true),
      (ok) => ok,
      needed,
    );
    return committed.ok.length >= needed ? 'committed' : 'uncertain';
  }

  /** Notes the highest ballot among refusals; true when there was one. */
  private sawHigher(refusals: readonly (PrepareReply | AcceptReply)[]): boolean {
    let higher = '';
    for (const r of refusals) {
      const ballot = 'higher' in r ? r.higher : '';
      if (ballot > higher) higher = ballot;
    }
    if (higher) this.options.observe(higher);
    return higher !== '';
  }

  private failure(
    phase: 'prepare' | 'accept' | 'commit',
    mayHaveLanded: boolean,
    /** Replicas that answered the phase, when the phase itself fell short; null when it did not. */
    confirmed: number | null,
    required: number,
    attempts: number,
    /** Why, when it is not a phase short of replicas. */
    reason?: string,
  ): RedoubtError {
    const outcome = mayHaveLanded ? 'unknown' : 'not-applied';
    const why = reason
      ? reason
      : confirmed === null
        ? `the ${phase} phase did not reach ${required} replicas in time`
        : `${confirmed} of the ${required} replicas needed answered the ${phase} phase`;
    const result =
      outcome === 'unknown'
        ? 'the write may or may not be applied (a later conditional write or serial read settles it)'
        : 'the write was not applied';
    return new RedoubtError('CONSENSUS_NOT_REACHED', `${why}; ${result}`, {
      phase,
      outcome,
      confirmed,
      required,
      attempts,
    });
  }
}

/** The accepted proposal with the highest ballot above every commit the promises report, if any. */
function newestUnfinished(promises: readonly Promised[]): StoredRecord | null {
  let committed = '';
  for (const p of promises) if (p.committed > committed) committed = p.committed;
  let best: Proposal | null = null;
  for (const p of promises) {
    if (p.accepted && p.accepted.ballot > committed && (!best || p.accepted.ballot > best.ballot)) {
      best = p.accepted;
    }
  }
  return best?.record ?? null;
}

/** The newest record among the promises: the key's value as a majority has it. */
function newestRecord(promises: readonly Promised[]): StoredRecord | null {
  let newest: StoredRecord | null = null;
  for (const p of promises)
    if (p.current && (!newest || p.current.version > newest.version)) newest = p.current;
  return newest;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
