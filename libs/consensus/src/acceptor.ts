import type { StoredRecord } from '@redoubt/records';
import {
  EMPTY_ACCEPTOR_STATE,
  type AcceptReply,
  type AcceptRequest,
  type AcceptorState,
  type CommitRequest,
  type PrepareReply,
  type PrepareRequest,
} from './paxos-messages.js';

/**
 * The acceptor's three transitions, pure: (state, message) -> (next state, reply). `next` is null when the
 * state does not change (nothing to persist).
 */
export function onPrepare(
  state: AcceptorState,
  request: PrepareRequest,
):
  | { next: AcceptorState; reply: Omit<Extract<PrepareReply, { promised: true }>, 'current'> }
  | { next: null; reply: Extract<PrepareReply, { promised: false }> } {
  // Strictly greater: a repeated prepare with the same ballot (a retry) must not promise twice to two rounds.
  if (request.ballot <= state.promised)
    return { next: null, reply: { promised: false, higher: state.promised } };
  return {
    next: { ...state, promised: request.ballot },
    reply: { promised: true, accepted: state.accepted, committed: state.committed },
  };
}

export function onAccept(
  state: AcceptorState,
  request: AcceptRequest,
): { next: AcceptorState | null; reply: AcceptReply } {
  const { ballot } = request.proposal;
  // Equal is allowed: the proposer that got our promise for this ballot may propose under it.
  if (ballot < state.promised) return { next: null, reply: { accepted: false, higher: state.promised } };
  return { next: { ...state, promised: ballot, accepted: request.proposal }, reply: { accepted: true } };
}

/**
 * A commit is learned, never refused: a value accepted by a majority is chosen whatever this acceptor
 * promised since. The record itself goes to the record store (last writer wins there); the state only
 * remembers the newest commit and forgets an accepted proposal it finishes.
 */
export function onCommit(state: AcceptorState, request: CommitRequest): AcceptorState | null {
  const { ballot } = request.proposal;
  if (ballot <= state.committed) return null;
  const finished = state.accepted !== null && state.accepted.ballot <= ballot;
  return { ...state, committed: ballot, accepted: finished ? null : state.accepted };
}

/** Durable acceptor state per key (the data node: an LMDB environment beside its record store). */
export interface AcceptorStateStore {
  /** The last state saved for the key, including a save not yet durable. */
  load(key: string): AcceptorState | undefined;
  /** Resolves once the state is on disk: a promise must not be forgotten by a crash after it is sent. */
  save(key: string, state: AcceptorState): Promise<void>;
}

/** The data node's records, as the acceptor reads and commits them. */
export interface AcceptorRecords {
  get(partition: number, key: string): StoredRecord | null;
  /** Durable when it resolves; keeps a newer version if the store has one (last writer wins). */
  put(partition: number, record: StoredRecord): Promise<unknown>;
}

/**
 * One data node's acceptor for every key it holds. Messages for one key are handled one at a time (a
 * promise chain per key), so a prepare's read of the record and a commit's write of it never interleave;
 * different keys proceed in parallel.
 */
export class PaxosAcceptor {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly states: AcceptorStateStore,
    private readonly records: AcceptorRecords,
  ) {}

  prepare(request: PrepareRequest): Promise<PrepareReply> {
    return this.serially(request.key, async () => {
      const { next, reply } = onPrepare(this.state(request.key), request);
      if (next) await this.states.save(request.key, next);
      if (!reply.promised) return reply;
      return { ...reply, current: this.records.get(request.partition, request.key) };
    });
  }

  accept(request: AcceptRequest): Promise<AcceptReply> {
    return this.serially(request.key, async () => {
      const { next, reply } = onAccept(this.state(request.key), request);
      if (next) await this.states.save(request.key, next);
      return reply;
    });
  }

  /**
   * The record is durable before the reply, and before the state says committed: a prepare that sees the
   * commit reads the record from the store. The state's own write is not awaited: lost in a crash, the
   * acceptor still reports the proposal as accepted and unfinished, and the next round finishes it again
   * (the same record, already stored: idempotent). That saves one fsync per commit.
   */
  commit(request: CommitRequest): Promise<void> {
    return this.serially(request.key, async () => {
      await this.records.put(request.partition, request.proposal.record);
      const next = onCommit(this.state(request.key), request);
      if (next) this.states.save(request.key, next).catch(() => undefined);
    });
  }

  private state(key: string): AcceptorState {
    return this.states.load(key) ?? EMPTY_ACCEPTOR_STATE;
  }

  private serially<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return run;
  }
}
