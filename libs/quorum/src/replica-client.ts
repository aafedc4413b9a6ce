import type { DownstreamBreaker } from '@redoubt/circuit-breakers';
import type { DataNodeApi, PutOutcome, RequestOptions } from '@redoubt/cluster-client';
import { isRedoubtError } from '@redoubt/errors';
import type { StoredRecord } from '@redoubt/records';

/**
 * The part of a data node the quorum logic uses. A DataNodeApi is one; `guardReplica` puts a circuit
 * breaker in front of one. Rejections are RedoubtErrors.
 */
export interface ReplicaClient {
  readonly id: string;
  put(partition: number, record: StoredRecord, options?: RequestOptions): Promise<PutOutcome>;
  get(partition: number, key: string, options?: RequestOptions): Promise<StoredRecord | null>;
  /** False when a call would fail fast right now (breaker open); reads ask such replicas last. */
  isAvailable?(): boolean;
}

/** One replica set: the replicas of one partition in placement order (primary first). */
export interface ReplicaSet {
  partition: number;
  /** The placement epoch the set was taken from (carried into handoff jobs). */
  epoch: number;
  replicas: readonly ReplicaClient[];
}

/**
 * Routes every call to a data node through its breaker: an open breaker fails the call at once
 * (CIRCUIT_OPEN), a call past the breaker's timeout rejects with REPLICA_TIMEOUT and its request is aborted.
 */
export function guardReplica(
  node: Pick<DataNodeApi, 'id' | 'put' | 'get'>,
  breaker: DownstreamBreaker,
): ReplicaClient {
  // The node client gets the breaker's deadline too; the signal only when the breaker makes one per call
  // (a client with its own per-call deadline does not need it, and sparing it saves an allocation per call).
  const timeoutMs = breaker.options.timeoutMs;
  const options = (signal: AbortSignal): RequestOptions =>
    breaker.options.abortOnTimeout ? { signal, timeoutMs } : { timeoutMs };
  return {
    id: node.id,
    put: (partition, record) => breaker.run((signal) => node.put(partition, record, options(signal))),
    get: (partition, key) => breaker.run((signal) => node.get(partition, key, options(signal))),
    isAvailable: () => breaker.isAvailable(),
  };
}

/**
 * A data node whose batches already pass through `breaker` (DataNodeClient's `batchGuard`): calls go
 * straight to the node and the breaker decides once per batch, where guardReplica decides once per call
 * (a promise, a timer and events per call, about a tenth of the gateway's CPU per PUT under load). An open
 * breaker still fails a call at once with CIRCUIT_OPEN, without sending it; reads ask such replicas last.
 */
export function replicaBehindBatchBreaker(
  node: Pick<DataNodeApi, 'id' | 'put' | 'get'>,
  breaker: Pick<DownstreamBreaker, 'isAvailable' | 'openError'>,
): ReplicaClient {
  return {
    id: node.id,
    put: (partition, record, options) =>
      breaker.isAvailable() ? node.put(partition, record, options) : Promise.reject(breaker.openError()),
    get: (partition, key, options) =>
      breaker.isAvailable() ? node.get(partition, key, options) : Promise.reject(breaker.openError()),
    isAvailable: () => breaker.isAvailable(),
  };
}

/**
 * Whether a failed write may still have landed. A timeout (or an error we cannot classify) leaves the
 * outcome unknown; an error the replica reported, an open breaker or a refused connection means it did not
 * take the write.
 */
export function isUnknownOutcome(error: unknown): boolean {
  return !isRedoubtError(error) || error.kind === 'timeout';
}

/** A short code for a replica's error, for response bodies and logs. */
export function errorCodeOf(error: unknown): string {
  return isRedoubtError(error) ? error.code : 'INTERNAL';
}
