import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { RedoubtError } from '@redoubt/errors';
import { CLUSTER_TOKEN_HEADER } from '@redoubt/http-kit';
import { decodeMessage, encodeMessage } from '@redoubt/records';
import {
  CHANNEL_PROTOCOL,
  ChannelFrameKind,
  encodeChannelFrame,
  readChannelFrames,
  type ChannelFrame,
} from './channel-frames.js';
import {
  internalPaths,
  type BatchOp,
  type BatchResponse,
  type BatchResult,
  type WireError,
} from './internal-protocol.js';
import { fromHttpStatus, fromTransportError, fromWireError } from './transport-errors.js';

export interface BatchChannelOptions {
  /** The node's id, for errors. */
  id: string;
  /** http://127.0.0.1:7101 */
  url: string;
  clusterToken: string;
}

interface Waiting {
  resolve(results: BatchResult[]): void;
  reject(error: RedoubtError): void;
  timer: NodeJS.Timeout;
  /** The connection it was sent on: only that connection's loss fails it. */
  socket: Duplex;
}

/**
 * One persistent connection to a data node that carries batches as frames (channel-frames.ts) instead of
 * one HTTP request each. It starts as an HTTP upgrade of `GET /internal/v1/batch-channel` carrying the
 * cluster token, so it needs no port of its own and is authenticated like every internal call; after the
 * 101 both sides only frame MessagePack. Many batches may be in flight on it at once (the coalescer
 * bounds how many); answers are matched by id.
 *
 * Why: per batch, HTTP cost the data node a request parse, an IncomingMessage and a ServerResponse, and
 * the gateway undici's request bookkeeping; under the store benchmark that was about a third of a data
 * node's main thread. A frame costs a header write and a read.
 *
 * Failures keep the HTTP client's meanings: no answer in time is REPLICA_TIMEOUT (a write's outcome is
 * unknown) and, as with undici, closes the connection; a refused or lost connection is REPLICA_UNAVAILABLE
 * for every batch on it; the next batch connects again. A node that answers the upgrade with 404 predates the channel: `unsupported` turns
 * true and the caller falls back to HTTP.
 */
export class BatchChannel {
  /** The node does not offer the channel (it answered the upgrade with 404). */
  unsupported = false;
  private socket: Duplex | undefined;
  private connecting: Promise<Duplex> | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: BatchChannelOptions) {}

  async send(ops: BatchOp[], timeoutMs: number): Promise<BatchResult[]> {
    const current = this.socket !== undefined && !this.socket.destroyed ? this.socket : undefined;
    const socket = current ?? (await this.connect(timeoutMs));
    if (socket.destroyed) throw this.lost();
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    return new Promise<BatchResult[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(
          new RedoubtError('REPLICA_TIMEOUT', `${this.options.id} did not answer in time`, {
            node: this.options.id,
          }),
        );
        // As undici does on a timeout: drop the connection. A peer that vanished without a reset (a
        // container gone, a cut network) would otherwise swallow every later batch until TCP gives up.
        if (this.socket === socket) this.socket = undefined;
        socket.destroy();
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer, socket });
      socket.write(encodeChannelFrame(id, ChannelFrameKind.request, encodeMessage({ ops })));
    });
  }

  /** Batches sent and not yet answered. */
  inFlight(): number {
    return this.waiting.size;
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.failAll(this.lost());
  }

  private connect(timeoutMs: number): Promise<Duplex> {
    if (this.closed) return Promise.reject(this.lost());
    if (this.connecting) return this.connecting;
    const { id, url, clusterToken } = this.options;
    const connecting = new Promise<Duplex>((resolve, reject) => {
      const req = httpRequest(`${url}${internalPaths.batchChannel}`, {
        agent: false,
        timeout: timeoutMs,
        headers: { connection: 'Upgrade', upgrade: CHANNEL_PROTOCOL, [CLUSTER_TOKEN_HEADER]: clusterToken },
      });
      req.on('upgrade', (_res, socket, head) => {
        if (this.closed) {
          socket.destroy();
          reject(this.lost());
          return;
        }
        this.attach(socket, head);
        resolve(socket);
      });
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => reject(fromTransportError(error, id, false)));
        res.on('end', () => {
          if (res.statusCode === 404) this.unsupported = true;
          const type = res.headers['content-type'];
          reject(fromHttpStatus(res.statusCode ?? 0, Buffer.concat(chunks), type, id));
        });
      });
      req.on('timeout', () =>
        req.destroy(new RedoubtError('REPLICA_TIMEOUT', `${id} did not answer in time`, { node: id })),
      );
      req.on('error', (error) => reject(fromTransportError(error, id, false)));
      req.end();
    });
    this.connecting = connecting;
    const done = () => {
      if (this.connecting === connecting) this.connecting = undefined;
    };
    connecting.then(done, done);
    return connecting;
  }

  private attach(socket: Duplex, head: Buffer): void {
    const net = socket as Duplex & { setNoDelay?(on: boolean): void; setTimeout?(ms: number): void };
    net.setNoDelay?.(true);
    net.setTimeout?.(0); // the upgrade request's timeout must not cut an idle channel
    this.socket = socket;
    readChannelFrames(socket, head, (frame) => this.settle(frame));
    socket.on('error', () => {}); // 'close' follows and fails what was waiting
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.failAll(this.lost(), socket);
    });
  }

  private settle(frame: ChannelFrame): void {
    const waiting = this.waiting.get(frame.id);
    if (waiting === undefined) return; // timed out meanwhile
    this.waiting.delete(frame.id);
    clearTimeout(waiting.timer);
    try {
      if (frame.kind === ChannelFrameKind.results) {
        const results = decodeMessage<BatchResponse>(frame.payload)?.results;
        if (!Array.isArray(results)) throw this.malformed();
        waiting.resolve(results);
      } else if (frame.kind === ChannelFrameKind.error) {
        waiting.reject(
          fromWireError(decodeMessage<{ error?: WireError }>(frame.payload)?.error, this.options.id),
        );
      } else {
        throw this.malformed();
      }
    } catch (error) {
      waiting.reject(error instanceof RedoubtError ? error : this.malformed());
    }
  }

  /** Fails what waits on `socket` (everything when omitted). */
  private failAll(error: RedoubtError, socket?: Duplex): void {
    for (const [id, waiting] of this.waiting) {
      if (socket !== undefined && waiting.socket !== socket) continue;
      this.waiting.delete(id);
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
  }

  private lost(): RedoubtError {
    const node = this.options.id;
    return new RedoubtError(
      'REPLICA_UNAVAILABLE',
      this.closed ? `the client of ${node} is closed` : `the batch channel to ${node} closed`,
      { node },
    );
  }

  private malformed(): RedoubtError {
    const node = this.options.id;
    return new RedoubtError('FRAME_INVALID', `${node} sent a malformed batch answer`, { node });
  }
}
