import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import {
  CHANNEL_PROTOCOL,
  ChannelFrameKind,
  encodeChannelFrame,
  internalPaths,
  readChannelFrames,
  type ChannelFrame,
} from '@redoubt/cluster-client';
import { clusterTokenCheck, errorBody, httpStatusFor, type AuthFailureReporter } from '@redoubt/http-kit';
import { decodeMessage, encodeMessage } from '@redoubt/records';
import type { RecordStore } from '@redoubt/storage';
import type { Logger } from '@redoubt/telemetry';
import { opsOf, runBatch } from './batch-runner.js';
import type { DataMetrics } from './data-metrics.js';
import { wireError } from './message-http.js';

const ROUTE = internalPaths.batchChannel;
/** Frames one connection may have in the store at once before the node stops reading from it. */
const MAX_FRAMES_IN_FLIGHT = 64;

interface ChannelState {
  /** Request frames read and not yet answered. */
  inFlight: number;
  /** The gateway ended its side: answer what was asked, then end ours. */
  peerEnded: boolean;
}

export interface BatchChannelDeps {
  store: RecordStore;
  metrics: DataMetrics;
  logger: Logger;
  clusterToken: string;
  /** True once shutdown began: new channels are refused, open ones end after their answers. */
  draining: () => boolean;
  /** Counts and logs a refused cluster token (http-kit's createAuthFailureReporter). */
  authFailures: AuthFailureReporter;
}

/**
 * The data node's side of the batch channel (see BatchChannel in @redoubt/cluster-client): answers the
 * HTTP upgrade of GET /internal/v1/batch-channel when it carries the cluster token, then runs every
 * request frame as a batch (the same runBatch as the HTTP route) and writes its answer frame.
 *
 * Upgraded sockets leave the HTTP server's bookkeeping, so this keeps its own: `close()` (at shutdown)
 * ends every channel once its frames in flight are answered. A connection that sends more than
 * MAX_FRAMES_IN_FLIGHT unanswered frames is paused (back-pressure); one that sends garbage is cut.
 */
export function serveBatchChannel(server: Server, deps: BatchChannelDeps): { close(): void } {
  const { store, metrics, logger } = deps;
  const checkToken = clusterTokenCheck(deps.clusterToken);
  const open = new Map<Duplex, ChannelState>();

  const refuse = (socket: Duplex, error: RedoubtError) => {
    const status = httpStatusFor(error);
    const body = JSON.stringify(errorBody(error));
    metrics.requests.inc({ route: ROUTE, method: 'GET', status: String(status) });
    metrics.errors.inc({ code: error.code });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };

  /** Ends a channel with nothing in flight once the node drains or the gateway has ended its side. */
  const endIfDrained = (socket: Duplex) => {
    const state = open.get(socket);
    if (state && (deps.draining() || state.peerEnded) && state.inFlight === 0) socket.end();
  };

  const answer = async (frame: ChannelFrame): Promise<Buffer> => {
    const started = process.hrtime.bigint();
    let status = '200';
    try {
      if (frame.kind !== ChannelFrameKind.request) {
        throw new RedoubtError('FRAME_INVALID', `frame kind ${frame.kind} is not a batch request`);
      }
      const body = decodeMessage<{ ops?: unknown } | undefined>(frame.payload); // FRAME_INVALID if not MessagePack
      const results = await runBatch(store, metrics, opsOf(body));
      return encodeChannelFrame(frame.id, ChannelFrameKind.results, encodeMessage({ results }));
    } catch (raw) {
      const error = toRedoubtError(raw);
      status = String(httpStatusFor(error));
      metrics.errors.inc({ code: error.code });
      if (Number(status) >= 500) logger.error({ err: raw, path: ROUTE }, error.message);
      return encodeChannelFrame(frame.id, ChannelFrameKind.error, encodeMessage({ error: wireError(error) }));
    } finally {
      metrics.request(ROUTE, 'FRAME', status, started);
    }
  };

  const serve = (socket: Duplex, head: Buffer) => {
    const state: ChannelState = { inFlight: 0, peerEnded: false };
    open.set(socket, state);
    const onFrame = (frame: ChannelFrame) => {
      state.inFlight++;
      if (state.inFlight >= MAX_FRAMES_IN_FLIGHT) socket.pause();
      void answer(frame).then((bytes) => {
        state.inFlight--;
        if (!socket.destroyed && !socket.writableEnded) socket.write(bytes);
        if (state.inFlight < MAX_FRAMES_IN_FLIGHT && socket.isPaused()) socket.resume();
        endIfDrained(socket);
      });
    };
    readChannelFrames(socket, head, onFrame, (error) => metrics.errors.inc({ code: error.code }));
    socket.on('close', () => open.delete(socket)); // errors: the upgrade handler's listener destroys
    // Upgraded HTTP sockets allow half-open: without this, a channel the gateway ended or dropped would
    // stay open here until some answer ran into the reset, and one that never got another would leak.
    socket.on('end', () => {
      state.peerEnded = true;
      endIfDrained(socket);
    });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (req.url !== ROUTE) {
      refuse(socket, new RedoubtError('ROUTE_NOT_FOUND', `no upgrade at ${req.url ?? ''}`));
      return;
    }
    try {
      checkToken(req.headers);
      if (req.headers.upgrade?.toLowerCase() !== CHANNEL_PROTOCOL) {
        throw new RedoubtError('HEADER_INVALID', `the batch channel speaks ${CHANNEL_PROTOCOL} only`);
      }
      if (deps.draining()) throw new RedoubtError('STORE_UNAVAILABLE', 'this data node is shutting down');
    } catch (raw) {
      const error = toRedoubtError(raw);
      deps.authFailures(error, { path: ROUTE, remote: req.socket.remoteAddress });
      refuse(socket, error);
      return;
    }
    const net = socket as Duplex & { setNoDelay?(on: boolean): void };
    net.setNoDelay?.(true);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${CHANNEL_PROTOCOL}\r\n\r\n`,
    );
    metrics.requests.inc({ route: ROUTE, method: 'GET', status: '101' });
    serve(socket, head);
  });

  return {
    close() {
      for (const socket of open.keys()) endIfDrained(socket);
    },
  };
}
