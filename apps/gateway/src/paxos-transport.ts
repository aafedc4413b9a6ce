import { Pool } from 'undici';
import { RedoubtError } from '@redoubt/errors';
import {
  fromHttpStatus,
  fromTransportError,
  INTERNAL_PREFIX,
  MSGPACK_CONTENT_TYPE,
} from '@redoubt/cluster-client';
import type {
  AcceptReply,
  AcceptRequest,
  AcceptorTransport,
  CommitRequest,
  PrepareReply,
  PrepareRequest,
} from '@redoubt/consensus';
import { CLUSTER_TOKEN_HEADER } from '@redoubt/http-kit';
import { decodeMessage, encodeMessage } from '@redoubt/records';

export interface PaxosTransportOptions {
  /** The node's current address (DataNodeSet: DATA_NODES and the addresses published with epochs). */
  urlOf(nodeId: string): string | undefined;
  clusterToken: string;
  /** Per message; a node that does not answer in time counts as failed for the round (REPLICA_TIMEOUT_MS). */
  timeoutMs: number;
  /** False while the node's breaker is open: the message fails at once instead of waiting for a timeout. */
  available(nodeId: string): boolean;
}

/**
 * The gateway's side of the acceptors' endpoints (apps/data paxos-routes.ts): one MessagePack POST per
 * message over a keep-alive undici Pool per node address. Paxos messages are few next to plain puts (one
 * per conditional write and phase), so they go as single requests rather than through the batch lanes:
 * a round must not wait behind a batch of plain writes, and each message needs its own answer.
 */
export class PaxosHttpTransport implements AcceptorTransport {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: PaxosTransportOptions) {}

  prepare(replica: string, request: PrepareRequest): Promise<PrepareReply> {
    return this.send<PrepareReply>(replica, 'prepare', request);
  }

  accept(replica: string, request: AcceptRequest): Promise<AcceptReply> {
    return this.send<AcceptReply>(replica, 'accept', request);
  }

  async commit(replica: string, request: CommitRequest): Promise<void> {
    await this.send<{ committed: true }>(replica, 'commit', request);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }

  private async send<T>(replica: string, phase: string, message: unknown): Promise<T> {
    const url = this.options.urlOf(replica);
    if (url === undefined) {
      throw new RedoubtError('NODE_NOT_FOUND', `data node ${replica} has no address`, { node: replica });
    }
    if (!this.options.available(replica)) {
      throw new RedoubtError('CIRCUIT_OPEN', `the breaker of ${replica} is open`, { node: replica });
    }
    const { timeoutMs } = this.options;
    try {
      const res = await this.pool(url).request({
        method: 'POST',
        path: `${INTERNAL_PREFIX}/paxos/${phase}`,
        headers: { [CLUSTER_TOKEN_HEADER]: this.options.clusterToken, 'content-type': MSGPACK_CONTENT_TYPE },
        body: encodeMessage(message),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== 200) {
        const type = res.headers['content-type'];
        throw fromHttpStatus(res.statusCode, bytes, typeof type === 'string' ? type : undefined, replica);
      }
      return decodeMessage<T>(bytes);
    } catch (error) {
      throw fromTransportError(error, replica, false);
    }
  }

  private pool(url: string): Pool {
    let pool = this.pools.get(url);
    if (!pool) {
      pool = new Pool(url, { connections: 8, pipelining: 1, keepAliveTimeout: 30_000 });
      this.pools.set(url, pool);
    }
    return pool;
  }
}
