import type { StoredRecord, Version } from '@redoubt/records';

/**
 * A ballot orders the rounds of one key's Paxos instance. It has the format of a record version (hybrid
 * logical clock + the proposing gateway's id), so plain string comparison is ballot order and two
 * gateways can never make the same ballot. The empty string is older than every ballot.
 */
export type Ballot = Version;
export const NO_BALLOT: Ballot = '';

/** A value proposed in a round: the whole record (key, value, version, tombstone flag, checksum). */
export interface Proposal {
  ballot: Ballot;
  record: StoredRecord;
}

/**
 * What an acceptor keeps per key, durably (it must survive a restart, or a promise could be broken):
 * the highest ballot promised, the highest proposal accepted and not yet known committed, and the ballot
 * of the most recent commit (proposals accepted at or below it are finished business).
 */
export interface AcceptorState {
  promised: Ballot;
  accepted: Proposal | null;
  committed: Ballot;
}

export const EMPTY_ACCEPTOR_STATE: AcceptorState = {
  promised: NO_BALLOT,
  accepted: null,
  committed: NO_BALLOT,
};

/** The key and its partition travel with every message: the data node reads and writes its record store. */
export interface PaxosTarget {
  partition: number;
  key: string;
}

export interface PrepareRequest extends PaxosTarget {
  ballot: Ballot;
}

/**
 * A promise carries what the proposer needs to finish earlier rounds and to read the key in the same
 * round trip: the acceptor's accepted proposal, its last commit and the record it stores for the key
 * (plain last-writer-wins writes included). A refusal names the ballot it promised instead.
 */
export type PrepareReply =
  | { promised: true; accepted: Proposal | null; committed: Ballot; current: StoredRecord | null }
  | { promised: false; higher: Ballot };

export interface AcceptRequest extends PaxosTarget {
  proposal: Proposal;
}

export type AcceptReply = { accepted: true } | { accepted: false; higher: Ballot };

export interface CommitRequest extends PaxosTarget {
  proposal: Proposal;
}

/** The acceptors of one key as the proposer reaches them (the gateway sends these over HTTP). */
export interface AcceptorTransport {
  prepare(replica: string, request: PrepareRequest): Promise<PrepareReply>;
  accept(replica: string, request: AcceptRequest): Promise<AcceptReply>;
  commit(replica: string, request: CommitRequest): Promise<void>;
}
