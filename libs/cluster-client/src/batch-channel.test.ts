import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { decodeMessage, encodeMessage, formatVersion, makeRecord } from '@redoubt/records';
import {
  CHANNEL_PROTOCOL,
  ChannelFrameKind,
  encodeChannelFrame,
  readChannelFrames,
  type ChannelFrame,
} from './channel-frames.js';
import { DataNodeClient } from './data-node-client.js';
import type { BatchRequest, BatchResult } from './internal-protocol.js';
import { expectPerOpOutcomes, perOpAnswers } from './testing/per-op-outcomes.js';

/**
 * The batch channel against fake nodes on real sockets: frames matched by id whatever the order of
 * answers, per-op outcomes, a connection lost mid-batch, silence, refused upgrades, and the fallback to
 * HTTP for a node without the channel. (Against a real data node: apps/data's tests.)
 */
const record = makeRecord({
  key: 'k',
  value: Buffer.from('value'),
  contentType: 'text/plain',
  version: formatVersion({ wall: 1, logical: 0, writer: 'w' }),
  tombstone: false,
});
const TOKEN = 'token-0123456789abcdef';
const recordFor = (key: string) => makeRecord({ ...record, key });

const servers: Server[] = [];
const sockets = new Set<Duplex>();
let clients: DataNodeClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

type FrameHandler = (frame: ChannelFrame, socket: Duplex, upgrades: number) => void;

/** A node that accepts the upgrade (counting them) and hands every frame to `onFrame`. */
async function channelNode(
  onFrame: FrameHandler,
): Promise<{ url: string; upgrades: () => number; closed: () => number }> {
  let upgrades = 0;
  let closed = 0;
  const server = createServer((_req, res) => res.writeHead(500).end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    sockets.add(socket);
    expect(req.headers['x-redoubt-cluster-token']).toBe(TOKEN);
    expect(req.headers.upgrade).toBe(CHANNEL_PROTOCOL);
    upgrades++;
    const seenAt = upgrades;
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${CHANNEL_PROTOCOL}\r\n\r\n`,
    );
    readChannelFrames(socket, Buffer.alloc(0), (frame) => onFrame(frame, socket, seenAt));
    socket.on('error', () => undefined);
    socket.on('end', () => socket.end()); // as a data node does: a channel the client ended is closed
    socket.on('close', () => closed++);
  });
  return { url: await listen(server), upgrades: () => upgrades, closed: () => closed };
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

function client(url: string, timeoutMs = 2_000, maxInFlight = 4): DataNodeClient {
  const c = new DataNodeClient({ id: 'n1', url, clusterToken: TOKEN, timeoutMs, maxInFlight });
  clients.push(c);
  return c;
}

function answer(socket: Duplex, frame: ChannelFrame, results: BatchResult[]): void {
  socket.write(encodeChannelFrame(frame.id, ChannelFrameKind.results, encodeMessage({ results })));
}

describe('BatchChannel (through DataNodeClient)', () => {
  it('gives each op its own outcome, refuses a damaged record, and keeps one connection', async () => {
    const node = await channelNode((frame, socket) => {
      const { ops } = decodeMessage<BatchRequest>(frame.payload);
      answer(socket, frame, perOpAnswers(ops, record));
    });
    const c = client(node.url);
    await expectPerOpOutcomes(c, record);
    await c.get(0, 'k');
    expect(node.upgrades()).toBe(1);
  });

  it('matches answers to batches by id when the node answers out of order', async () => {
    const held: { frame: ChannelFrame; socket: Duplex; key: string }[] = [];
    const node = await channelNode((frame, socket) => {
      const { ops } = decodeMessage<BatchRequest>(frame.payload);
      held.push({ frame, socket, key: ops[0]!.op === 'get' ? ops[0]!.key : '' });
      if (held.length < 2) return;
      for (const h of held.reverse()) answer(h.socket, h.frame, [{ record: recordFor(h.key) }]);
    });
    const c = client(node.url);
    // One op per batch: the first leaves at once, the second once the coalescer has a free slot.
    const first = c.get(0, 'first');
    await new Promise((r) => setTimeout(r, 20));
    const second = c.get(0, 'second');
    expect((await first)?.key).toBe('first');
    expect((await second)?.key).toBe('second');
    expect(held.map((h) => h.key)).toEqual(['second', 'first']);
  });

  it('fails the batches of a lost connection as REPLICA_UNAVAILABLE and reconnects for the next', async () => {
    const node = await channelNode((frame, socket, upgrade) => {
      if (upgrade === 1) socket.destroy();
      else answer(socket, frame, [{ record }]);
    });
    const c = client(node.url);
    await expect(c.get(0, 'k')).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    await expect(c.get(0, 'k')).resolves.toMatchObject({ key: 'k' });
    expect(node.upgrades()).toBe(2);
  });

  it('times out a batch the node never answers (outcome unknown), then connects afresh', async () => {
    const node = await channelNode((frame, socket, upgrade) => {
      const { ops } = decodeMessage<BatchRequest>(frame.payload);
      // The first connection goes silent for puts (a peer gone), after serving a get.
      if (upgrade !== 1 || ops[0]!.op !== 'put') answer(socket, frame, [{ record }]);
    });
    const c = client(node.url);
    // Connected first, on a deadline that a busy machine cannot miss: the timeout under test is the batch's.
    await expect(c.get(0, 'k')).resolves.toMatchObject({ key: 'k' });
    await expect(c.put(0, record, { timeoutMs: 150 })).rejects.toMatchObject({ code: 'REPLICA_TIMEOUT' });
    // The op's own deadline may fail it a moment before the batch's passes: wait for the client to drop
    // the silent connection at the batch's deadline.
    for (let i = 0; i < 500 && node.closed() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(node.closed()).toBe(1);
    await expect(c.get(0, 'k')).resolves.toMatchObject({ key: 'k' });
    expect(node.upgrades()).toBe(2);
    expect(c.pending().inFlight).toBe(0);
  });

  it('maps a refused upgrade to its code, and falls back to HTTP for a node without the channel', async () => {
    const refusing = createServer((_req, res) => res.writeHead(500).end());
    refusing.on('upgrade', (_req, socket: Duplex) => {
      const body = JSON.stringify({ error: { code: 'AUTH_INVALID', message: 'wrong token' } });
      socket.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
    });
    await expect(client(await listen(refusing)).get(0, 'k')).rejects.toMatchObject({ code: 'AUTH_INVALID' });

    let posts = 0;
    const older = createServer((req, res) => {
      if (req.method === 'POST') {
        posts++;
        res
          .writeHead(200, { 'content-type': 'application/msgpack' })
          .end(encodeMessage({ results: [{ record }] }));
      } else
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"error":{"code":"ROUTE_NOT_FOUND","message":"no"}}');
    });
    const c = client(await listen(older));
    await expect(c.get(0, 'k')).resolves.toMatchObject({ key: 'k' });
    await expect(c.get(0, 'k')).resolves.toMatchObject({ key: 'k' });
    expect(posts).toBe(2);
  });
});
