export {
  NO_BALLOT,
  EMPTY_ACCEPTOR_STATE,
  type Ballot,
  type Proposal,
  type AcceptorState,
  type PaxosTarget,
  type PrepareRequest,
  type PrepareReply,
  type AcceptRequest,
  type AcceptReply,
  type CommitRequest,
  type AcceptorTransport,
} from './paxos-messages.js';
export {
  onPrepare,
  onAccept,
  onCommit,
  PaxosAcceptor,
  type AcceptorStateStore,
  type AcceptorRecords,
} from './acceptor.js';
export {
  PaxosProposer,
  type ProposerOptions,
  type Decide,
  type RoundOutcome,
  type MessageCount,
} from './proposer.js';
export { conditionHolds, liveVersion, type WriteCondition } from './write-condition.js';
export { gather, majorityOf, type Gathered } from './gather.js';
