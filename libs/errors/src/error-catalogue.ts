/**
 * Every error redoubt's domain code can throw, by stable code. Codes are part of the public contract
 * (clients and scripts match on them), so they are never renamed; new ones are appended.
 *
 * `kind` classifies the error for transports without tying domain code to HTTP: the gateway maps kinds
 * (and a few codes) to status codes, the CLI maps them to exit codes.
 */
export type ErrorKind =
  | 'invalid' // the caller sent something malformed
  | 'unauthenticated' // no or unknown credentials
  | 'forbidden' // credentials valid but not allowed
  | 'not_found'
  | 'conflict' // a precondition on current state failed
  | 'too_large'
  | 'unavailable' // not enough healthy replicas / dependency down; retrying may help
  | 'timeout' // outcome unknown
  | 'corrupt' // stored or received data failed verification
  | 'internal';

export const errorCatalogue = {
  // configuration and input
  CONFIG_INVALID: { kind: 'invalid', summary: 'configuration is invalid' },
  INVALID_ARGUMENT: { kind: 'invalid', summary: 'an argument is invalid' },
  KEY_EMPTY: { kind: 'invalid', summary: 'the key is empty' },
  KEY_TOO_LONG: { kind: 'invalid', summary: 'the key is longer than allowed' },
  KEY_INVALID: { kind: 'invalid', summary: 'the key is not valid UTF-8 or not properly encoded' },
  VALUE_TOO_LARGE: { kind: 'too_large', summary: 'the value is larger than allowed' },
  HEADER_INVALID: { kind: 'invalid', summary: 'a request header is malformed' },
  BODY_INVALID: { kind: 'invalid', summary: 'the request body is malformed' },
  CONSISTENCY_INVALID: { kind: 'invalid', summary: 'unknown consistency level' },
  ROUTE_NOT_FOUND: { kind: 'not_found', summary: 'no such route' },
  METHOD_NOT_ALLOWED: { kind: 'invalid', summary: 'method not allowed on this route' },

  // authentication
  AUTH_MISSING: { kind: 'unauthenticated', summary: 'credentials are missing' },
  AUTH_INVALID: { kind: 'forbidden', summary: 'credentials are not valid' },

  // records and storage
  RECORD_NOT_FOUND: { kind: 'not_found', summary: 'no such record' },
  RECORD_CORRUPT: { kind: 'corrupt', summary: 'a stored record failed its checksum' },
  VERSION_INVALID: { kind: 'invalid', summary: 'the version string is malformed' },
  VERSION_AHEAD_OF_CLOCK: {
    kind: 'conflict',
    summary: "a record's version is further ahead of the data node's clock than MAX_CLOCK_DRIFT_MS allows",
  },
  WRONG_PARTITION: { kind: 'invalid', summary: 'the key does not belong to the given partition' },
  STORE_UNAVAILABLE: { kind: 'unavailable', summary: 'the storage engine is not open' },
  STORE_FAILED: {
    kind: 'unavailable',
    summary: 'a disk write or flush failed; the node takes no writes until it restarts',
  },
  FRAME_INVALID: { kind: 'invalid', summary: 'an internal protocol frame is malformed' },

  // replication and quorum
  QUORUM_NOT_REACHED: { kind: 'unavailable', summary: 'not enough replicas confirmed' },
  WRITE_SUPERSEDED: {
    kind: 'conflict',
    summary: 'replicas kept holding a newer version of the key through every retry of the write',
  },
  REPLICA_UNAVAILABLE: { kind: 'unavailable', summary: 'a replica did not answer' },
  REPLICA_TIMEOUT: { kind: 'timeout', summary: 'a replica did not answer in time' },
  CIRCUIT_OPEN: { kind: 'unavailable', summary: 'the circuit breaker for a downstream is open' },
  QUEUE_UNAVAILABLE: { kind: 'unavailable', summary: 'the job queue is unreachable' },

  // placement
  PLACEMENT_INVALID: { kind: 'invalid', summary: 'a placement matrix violates its invariants' },
  PLACEMENT_REPLICAS_EXCEED_SERVERS: {
    kind: 'invalid',
    summary: 'more replicas requested than servers exist',
  },
  PLACEMENT_DUPLICATE_SERVER: { kind: 'invalid', summary: 'a server id appears more than once' },
  PLACEMENT_BAD_WEIGHT: { kind: 'invalid', summary: 'a server weight is not a positive finite number' },
  PLACEMENT_BAD_PARTITIONS: { kind: 'invalid', summary: 'the partition count is not a positive integer' },
  PLACEMENT_CHECKSUM_MISMATCH: { kind: 'corrupt', summary: 'a serialised placement failed its checksum' },
  PLACEMENT_DECODE_FAILED: { kind: 'invalid', summary: 'a serialised placement could not be decoded' },
  PLACEMENT_STALE_EPOCH: { kind: 'conflict', summary: 'a placement epoch is older than the current one' },

  // membership, recovery, jobs
  NODE_NOT_FOUND: { kind: 'not_found', summary: 'no such node' },
  NOT_LEADER: { kind: 'conflict', summary: 'this monitor does not hold the leader lease' },
  JOB_INVALID: { kind: 'invalid', summary: 'a job payload is malformed' },
  DIGEST_MISMATCH: { kind: 'corrupt', summary: 'replica digests still differ after a copy' },

  // backups
  BACKUP_NOT_FOUND: { kind: 'not_found', summary: 'no such backup' },
  BACKUP_CORRUPT: { kind: 'corrupt', summary: 'a backup segment or manifest failed verification' },
  BACKUP_KEY_INVALID: { kind: 'forbidden', summary: 'the backup encryption key is wrong or missing' },
  BACKUP_TARGET_UNWRITABLE: { kind: 'unavailable', summary: 'a backup target is full or read-only' },

  // chaos
  SCENARIO_INVALID: { kind: 'invalid', summary: 'a chaos scenario file is invalid' },
  FAULT_REFUSED: { kind: 'conflict', summary: 'a guard refused a fault' },

  INTERNAL: { kind: 'internal', summary: 'an internal error' },

  // fault isolation (gateway)
  DOWNSTREAM_SATURATED: {
    kind: 'unavailable',
    summary: 'too many calls are in flight to a downstream; failing fast instead of queueing',
  },
  PLACEMENT_UNAVAILABLE: { kind: 'unavailable', summary: 'no placement is known yet' },

  // backups (continued)
  BACKUP_MANIFEST_INVALID: {
    kind: 'corrupt',
    summary: 'a backup manifest is malformed or does not match its backup',
  },
  BACKUP_CHAIN_BROKEN: {
    kind: 'corrupt',
    summary: 'an incremental backup is missing the base or parent it builds on',
  },
  BACKUP_TARGET_UNREADABLE: { kind: 'unavailable', summary: 'a backup target cannot be read' },
  BACKUP_DRILL_MISMATCH: {
    kind: 'corrupt',
    summary: 'a restore drill found restored data that differs from the live replicas',
  },
  RESTORE_INCOMPLETE: { kind: 'unavailable', summary: 'some partitions could not be restored' },
  BACKUP_MANIFEST_UNAUTHENTIC: {
    kind: 'corrupt',
    summary:
      'a backup manifest has no valid MAC under the backup signing key (forged, edited, unsigned or signed with another key)',
  },
  BACKUP_NOT_ENCRYPTED: {
    kind: 'forbidden',
    summary: 'a plaintext backup was refused because a backup encryption key is configured',
  },
  BACKUP_TARGET_UNREACHABLE: {
    kind: 'unavailable',
    summary: 'a backup target (an object store endpoint) does not answer',
  },
  BACKUP_TARGET_DENIED: {
    kind: 'forbidden',
    summary: 'a backup target refused the credentials (wrong access key or secret, or no permission)',
  },
  BACKUP_TARGET_MISSING: {
    kind: 'not_found',
    summary: 'a backup target does not exist (no such bucket, or no such directory)',
  },

  // membership, orchestration, operator changes (monitor)
  CLUSTER_STATE_UNAVAILABLE: {
    kind: 'unavailable',
    summary: 'the cluster state store (Redis) did not answer',
  },
  NODE_EXISTS: { kind: 'conflict', summary: 'a node with this id is already a member' },
  NODE_STATE_CONFLICT: { kind: 'conflict', summary: 'the node is not in a state that allows this change' },
  ORCHESTRATOR_UNAVAILABLE: {
    kind: 'unavailable',
    summary: 'the orchestrator (Docker Engine or the local supervisor) did not answer',
  },
  ORCHESTRATOR_TARGET_NOT_FOUND: { kind: 'not_found', summary: 'no container or process runs this service' },
  ORCHESTRATOR_ACTION_FAILED: {
    kind: 'unavailable',
    summary: 'the orchestrator could not perform an action',
  },

  // conditional writes (gateway: If-Match / If-None-Match, Paxos per key)
  CONDITION_INVALID: {
    kind: 'invalid',
    summary: 'an If-Match or If-None-Match header is malformed, weak, or not allowed with this request',
  },
  PRECONDITION_FAILED: {
    kind: 'conflict',
    summary: "the key's current version does not satisfy the request's If-Match or If-None-Match",
  },
  CONSENSUS_NOT_REACHED: {
    kind: 'unavailable',
    summary: 'a Paxos round for the key could not reach a majority of its replicas, or stayed contended',
  },
} as const satisfies Record<string, { kind: ErrorKind; summary: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export function kindOf(code: ErrorCode): ErrorKind {
  return errorCatalogue[code].kind;
}
