import { Readable } from 'node:stream';
import { Pool } from 'undici';
import { RedoubtError } from '@redoubt/errors';
import { CLUSTER_TOKEN_HEADER } from '@redoubt/http-kit';
import { decodeMessage, encodeMessage, isIntact, type StoredRecord } from '@redoubt/records';
import { BatchChannel } from './batch-channel.js';
import { BatchCoalescer } from './batch-coalescer.js';
import type {
  DataNodeApi,
  PartitionDigest,
  PartitionSummary,
  PutOutcome,
  RequestOptions,
  StreamInResult,
  StreamOutOptions,
} from './data-node-api.js';
import {
  FrameKind,
  batchedStreamBody,
  readFrames,
  recordFrameChunks,
  type RecordFrameBatch,
  type StreamEndSummary,
} from './frames.js';
import {
  FRAMES_CONTENT_TYPE,
  MSGPACK_CONTENT_TYPE,
  internalPaths,
  type BatchOp,
  type BatchResponse,
  type BatchResult,
  type TestDiskFaultRequest,
} from './internal-protocol.js';
import { fromHttpStatus, fromTransportError, fromWireError } from './transport-errors.js';

export interface DataNodeClientOptions {
  id: string;
  /** http://127.0.0.1:7101 */
  url: string;
  clusterToken: string;
  /** Per-call timeout of put/get/digest/list/ready, queueing included (REPLICA_TIMEOUT_MS). Default 2000. */
  timeoutMs?: number;
  /** Timeout of drop and scrub, which walk a whole partition or node. Default 300000. */
  adminTimeoutMs?: number;
  /** Longest silence within a partition stream before it fails. Default 30000. */
  streamIdleTimeoutMs?: number;
  /**
   * Batches in flight at once per lane (see BatchCoalescer): puts and gets have a lane each, so a read
   * never waits behind a batch of writes and their fsync. Default 4.
   */
  maxInFlight?: number;
  /** Ops per batch request. Default 256. */
  maxBatchOps?: number;
  /** Approximate bytes per batch request. Default 4 MiB. */
  maxBatchBytes?: number;
  /** Ops waiting for a batch slot before calls are refused. Default 10000. */
  maxQueued?: number;
  /** Keep-alive connections to the node. Default 16. */
  connections?: number;
  /**
   * How batches travel: `channel` (default), framed on one upgraded connection (batch-channel.ts), with
   * HTTP as the fallback for a node without the channel; `http`, one POST per batch.
   */
  batchTransport?: 'channel' | 'http';
  /**
   * Runs every batch of puts or gets (a circuit breaker: DownstreamBreaker fits). One decision per batch:
   * a refused batch fails all its ops with the guard's error and never reaches the node.
   */
  batchGuard?: BatchGuard;
}

/** What sends a batch through: it may run the send, or refuse it by rejecting (and then never run it). */
export interface BatchGuard {
  run<T>(send: () => Promise<T>): Promise<T>;
}

/** Extra StreamOut options this client understands (beyond the DataNodeApi contract). */
export interface StreamOutExtras {
  /** Called once with the sender's summary when the stream completed (counts, corrupt records skipped). */
  onEnd?: (summary: StreamEndSummary) => void;
}

interface Response {
  status: number;
  body: Buffer;
}

const OP_OVERHEAD_BYTES = 128;

/**
 * The client of one data node (implements DataNodeApi). Record puts and gets are coalesced into batch
 * requests (BatchCoalescer) over a keep-alive undici Pool; everything else is one request per call.
 * MessagePack everywhere, values stay Buffers end to end. Every failure is a RedoubtError: transport
 * failures REPLICA_UNAVAILABLE, timeouts REPLICA_TIMEOUT, HTTP 401/403 AUTH_MISSING/AUTH_INVALID, and
 * per-op errors keep the code the node gave (WRONG_PARTITION, RECORD_CORRUPT, ...).
 */
export class DataNodeClient implements DataNodeApi {
  readonly id: string;
  readonly url: string;
  private readonly pool: Pool;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly adminTimeoutMs: number;
  private readonly streamIdleTimeoutMs: number;
  /** Puts and gets travel in separate lanes (batches never mix them; reads never queue behind a commit). */
  private readonly writes: BatchCoalescer;
  private readonly reads: BatchCoalescer;
  private readonly channel: BatchChannel | undefined;
  private readonly batchGuard: BatchGuard | undefined;
  private closed = false;

  constructor(options: DataNodeClientOptions) {
    this.id = options.id;
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.clusterToken;
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.adminTimeoutMs = options.adminTimeoutMs ?? 300_000;
    this.streamIdleTimeoutMs = options.streamIdleTimeoutMs ?? 30_000;
    this.batchGuard = options.batchGuard;
    this.pool = new Pool(this.url, {
      connections: options.connections ?? 16,
      pipelining: 1,
      keepAliveTimeout: 30_000, // below the server's 65 s, so the client always closes first
      keepAliveMaxTimeout: 60_000,
    });
    this.channel =
      options.batchTransport === 'http'
        ? undefined
        : new BatchChannel({ id: this.id, url: this.url, clusterToken: this.token });
    const lane = () =>
      new BatchCoalescer(
        (ops, timeoutMs) =>
          this.batchGuard
            ? this.batchGuard.run(() => this.sendBatch(ops, timeoutMs))
            : this.sendBatch(ops, timeoutMs),
        {
          maxInFlight: options.maxInFlight ?? 4,
          maxBatchOps: options.maxBatchOps ?? 256,
          maxBatchBytes: options.maxBatchBytes ?? 4 * 1024 * 1024,
          maxQueued: options.maxQueued ?? 10_000,
        },
        this.id,
      );
    this.writes = lane();
    this.reads = lane();
  }

  async put(partition: number, record: StoredRecord, options: RequestOptions = {}): Promise<PutOutcome> {
    const size = record.value.length + record.key.length * 3 + OP_OVERHEAD_BYTES;
    const result = await this.writes.submit(
      { op: 'put', partition, record },
      size,
      options.timeoutMs ?? this.timeoutMs,
      options.signal,
    );
    if ('error' in result) throw fromWireError(result.error, this.id);
    if (!('status' in result)) throw this.malformed('put');
    return { status: result.status, current: result.current };
  }

  async get(partition: number, key: string, options: RequestOptions = {}): Promise<StoredRecord | null> {
    const result = await this.reads.submit(
      { op: 'get', partition, key },
      key.length * 3 + OP_OVERHEAD_BYTES,
      options.timeoutMs ?? this.timeoutMs,
      options.signal,
    );
    if ('error' in result) throw fromWireError(result.error, this.id);
    if (!('record' in result)) throw this.malformed('get');
    const record = result.record;
    if (record !== null) this.assertReceivedIntact(record);
    return record;
  }

  async digest(partition: number, options: RequestOptions = {}): Promise<PartitionDigest> {
    const res = await this.call('GET', internalPaths.digest(partition), undefined, options, this.timeoutMs);
    return decodeMessage<PartitionDigest>(res.body);
  }

  async listPartitions(options: RequestOptions = {}): Promise<PartitionSummary[]> {
    const res = await this.call('GET', internalPaths.partitions, undefined, options, this.timeoutMs);
    return decodeMessage<{ partitions: PartitionSummary[] }>(res.body).partitions;
  }

  async dropPartition(partition: number, options: RequestOptions = {}): Promise<void> {
    await this.call('DELETE', internalPaths.partition(partition), undefined, options, this.adminTimeoutMs);
  }

  async scrub(
    options: { partition?: number } & RequestOptions = {},
  ): Promise<{ checked: number; corrupt: { partition: number; key: string }[] }> {
    const body = encodeMessage(options.partition === undefined ? {} : { partition: options.partition });
    const res = await this.call('POST', internalPaths.scrub, body, options, this.adminTimeoutMs);
    return decodeMessage(res.body);
  }

  /**
   * FOR TESTS: asks the node to damage the stored bytes of one record (see libs/storage
   * corruptRecordForTest). Only nodes started with DATA_ENABLE_TEST_HOOKS=true have the endpoint;
   * others answer ROUTE_NOT_FOUND.
   */
  async corruptForTest(partition: number, key: string, options: RequestOptions = {}): Promise<void> {
    await this.call(
      'POST',
      internalPaths.testCorrupt,
      encodeMessage({ partition, key }),
      options,
      this.timeoutMs,
    );
  }

  /**
   * FOR TESTS: arms a disk fault on the node (its log engine's file layer fails the next write, flush or
   * delete with EIO or ENOSPC). Only nodes started with DATA_ENABLE_TEST_HOOKS=true have the endpoint.
   */
  async diskFaultForTest(fault: TestDiskFaultRequest, options: RequestOptions = {}): Promise<void> {
    await this.call('POST', internalPaths.testDiskFault, encodeMessage(fault), options, this.timeoutMs);
  }

  async ready(options: RequestOptions = {}): Promise<boolean> {
    if (this.closed) return false;
    const signal = this.signalFor(options, options.timeoutMs ?? this.timeoutMs);
    try {
      const res = await this.pool.request({ method: 'GET', path: '/readyz', signal: signal.signal });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    } finally {
      signal.dispose();
    }
  }

  /**
   * The records of a partition as the node streams them, verified one by one; back-pressured (the body
   * is read only as fast as the consumer iterates). Fails if the stream ends without its end frame.
   */
  async *streamOut(
    partition: number,
    options: StreamOutOptions & RequestOptions & StreamOutExtras = {},
  ): AsyncGenerator<StoredRecord> {
    const query = new URLSearchParams();
    if (options.buckets !== undefined) query.set('buckets', options.buckets.join(','));
    if (options.since !== undefined) query.set('since', options.since);
    const path = internalPaths.stream(partition) + (query.size > 0 ? `?${query}` : '');
    const signal = this.signalFor(options, undefined);
    let body: AsyncIterable<Uint8Array> & { destroy(): unknown };
    try {
      const res = await this.pool.request({
        method: 'GET',
        path,
        headers: { [CLUSTER_TOKEN_HEADER]: this.token },
        signal: signal.signal,
        headersTimeout: options.timeoutMs ?? this.timeoutMs,
        bodyTimeout: this.streamIdleTimeoutMs,
      });
      if (res.statusCode !== 200) {
        const bytes = Buffer.from(await res.body.arrayBuffer());
        throw fromHttpStatus(res.statusCode, bytes, headerOf(res.headers['content-type']), this.id);
      }
      body = res.body;
    } catch (error) {
      signal.dispose();
      throw fromTransportError(error, this.id, signal.timedOut());
    }
    let ended = false;
    try {
      for await (const frame of readFrames(body)) {
        if (ended) throw new RedoubtError('FRAME_INVALID', `${this.id} sent frames after the end frame`);
        if (frame.kind === FrameKind.record) {
          this.assertReceivedIntact(frame.record);
          yield frame.record;
        } else if (frame.kind === FrameKind.end) {
          ended = true;
          options.onEnd?.(frame.summary);
        } else {
          throw fromWireError(frame.error, this.id);
        }
      }
      if (!ended) {
        throw new RedoubtError(
          'REPLICA_UNAVAILABLE',
          `${this.id} ended the partition stream without its end frame`,
          {
            node: this.id,
          },
        );
      }
    } catch (error) {
      throw fromTransportError(error, this.id, signal.timedOut());
    } finally {
      if (!ended) body.destroy();
      signal.dispose();
    }
  }

  /** Streams records into the node's partition; resolves once every one is merged and durable. */
  async streamIn(
    partition: number,
    records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>,
    options: RequestOptions = {},
  ): Promise<StreamInResult> {
    return this.postStream(partition, recordFrameChunks(records), options);
  }

  async streamInBatches(
    partition: number,
    batches: AsyncIterable<RecordFrameBatch> | Iterable<RecordFrameBatch>,
    options: RequestOptions = {},
  ): Promise<StreamInResult> {
    return this.postStream(partition, batchedStreamBody(batches), options);
  }

  private async postStream(
    partition: number,
    body: AsyncIterable<Buffer>,
    options: RequestOptions,
  ): Promise<StreamInResult> {
    // The answer comes after the whole body is merged: only the caller's timeout (if any) bounds the total.
    const signal = this.signalFor(options, options.timeoutMs);
    try {
      const res = await this.pool.request({
        method: 'POST',
        path: internalPaths.stream(partition),
        headers: { [CLUSTER_TOKEN_HEADER]: this.token, 'content-type': FRAMES_CONTENT_TYPE },
        body: Readable.from(body, { objectMode: false }),
        signal: signal.signal,
        headersTimeout: 0,
        bodyTimeout: this.streamIdleTimeoutMs,
      });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== 200) {
        throw fromHttpStatus(res.statusCode, bytes, headerOf(res.headers['content-type']), this.id);
      }
      return decodeMessage<StreamInResult>(bytes);
    } catch (error) {
      throw fromTransportError(error, this.id, signal.timedOut());
    } finally {
      signal.dispose();
    }
  }

  /** Batches waiting and in flight (for metrics and tests). */
  pending(): { inFlight: number; queued: number } {
    const [w, r] = [this.writes.stats(), this.reads.stats()];
    return { inFlight: w.inFlight + r.inFlight, queued: w.queued + r.queued };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closed = this.closedError();
    this.writes.close(closed);
    this.reads.close(closed);
    this.channel?.close();
    await this.pool.close();
  }

  private closedError(): RedoubtError {
    return new RedoubtError('REPLICA_UNAVAILABLE', `the client of ${this.id} is closed`, { node: this.id });
  }

  private async sendBatch(ops: BatchOp[], timeoutMs: number): Promise<BatchResult[]> {
    if (this.channel !== undefined && !this.channel.unsupported) {
      try {
        return await this.channel.send(ops, timeoutMs);
      } catch (error) {
        if (!this.channel.unsupported) throw error; // else: an older node; this batch goes by HTTP
      }
    }
    // No AbortController per batch: every op keeps its own deadline in the coalescer, and undici's header
    // and body timeouts bound the request itself.
    const res = await this.call(
      'POST',
      internalPaths.batch,
      encodeMessage({ ops }),
      { timeoutMs },
      timeoutMs,
      false,
    );
    const response = decodeMessage<BatchResponse>(res.body);
    if (!Array.isArray(response?.results)) throw this.malformed('batch');
    return response.results;
  }

  /** One request with a msgpack body; resolves with a 2xx answer's body, rejects with a RedoubtError. */
  private async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: Buffer | undefined,
    options: RequestOptions,
    defaultTimeoutMs: number,
    abortable = true,
  ): Promise<Response> {
    if (this.closed) throw this.closedError();
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const signal = abortable ? this.signalFor(options, timeoutMs) : undefined;
    try {
      const headers: Record<string, string> = { [CLUSTER_TOKEN_HEADER]: this.token };
      if (body) headers['content-type'] = MSGPACK_CONTENT_TYPE;
      const res = await this.pool.request({
        method,
        path,
        headers,
        body,
        signal: signal?.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw fromHttpStatus(res.statusCode, bytes, headerOf(res.headers['content-type']), this.id);
      }
      return { status: res.statusCode, body: bytes };
    } catch (error) {
      throw fromTransportError(error, this.id, signal?.timedOut() ?? false);
    } finally {
      signal?.dispose();
    }
  }

  /** The caller's signal combined with our own timeout (none when `timeoutMs` is undefined). */
  private signalFor(
    options: RequestOptions,
    timeoutMs: number | undefined,
  ): { signal: AbortSignal | undefined; timedOut(): boolean; dispose(): void } {
    const timeout = timeoutMs === undefined ? undefined : new AbortController();
    const timer = timeout === undefined ? undefined : setTimeout(() => timeout.abort(), timeoutMs);
    const signals = [options.signal, timeout?.signal].filter((s): s is AbortSignal => s !== undefined);
    return {
      signal: signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals),
      timedOut: () => timeout?.signal.aborted ?? false,
      dispose: () => clearTimeout(timer),
    };
  }

  private assertReceivedIntact(record: StoredRecord): void {
    if (
      typeof record !== 'object' ||
      record === null ||
      !(record.value instanceof Uint8Array) ||
      !isIntact(record)
    ) {
      throw new RedoubtError('RECORD_CORRUPT', `a record received from ${this.id} failed its checksum`, {
        node: this.id,
        key: typeof record?.key === 'string' ? record.key : null,
      });
    }
  }

  private malformed(what: string): RedoubtError {
    return new RedoubtError('FRAME_INVALID', `${this.id} sent a malformed ${what} answer`, { node: this.id });
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
