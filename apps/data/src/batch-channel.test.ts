import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { CLUSTER_TOKEN_HEADER } from '@redoubt/http-kit';
import { decodeMessage, encodeMessage } from '@redoubt/records';
import {
  CHANNEL_PROTOCOL,
  ChannelFrameKind,
  ChannelFrameReader,
  encodeChannelFrame,
  internalPaths,
  type ChannelFrame,
} from '@redoubt/cluster-client';
import {
  keysIn,
  record,
  startDataNode,
  TOKEN,
  version,
  type DataNodeHandle,
} from './testing/data-node-process.js';

/** The batch channel of a real data node, spoken by hand: its refusals, its bad-frame answers, its limits. */
let node: DataNodeHandle;
const P = 16;

beforeAll(async () => {
  node = await startDataNode({ id: 'channel', partitions: P });
});
afterAll(async () => {
  await node?.dispose();
});

interface RawChannel {
  socket: Socket;
  /** The HTTP head (and body, for a refusal) the node answered the upgrade with. */
  head: Promise<string>;
  next(): Promise<ChannelFrame>;
  closed: Promise<void>;
}

function openRaw(headers: Record<string, string>, path: string = internalPaths.batchChannel): RawChannel {
  const { port } = new URL(node.url);
  const socket = connect(Number(port), '127.0.0.1');
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade\r\n${lines.join('')}\r\n`);
  const reader = new ChannelFrameReader();
  const frames: ChannelFrame[] = [];
  const waiters: ((f: ChannelFrame) => void)[] = [];
  let resolveHead!: (h: string) => void;
  const head = new Promise<string>((r) => (resolveHead = r));
  let pending = Buffer.alloc(0);
  let upgraded = false;
  socket.on('data', (chunk: Buffer) => {
    if (!upgraded) {
      pending = Buffer.concat([pending, chunk]);
      const end = pending.indexOf('\r\n\r\n');
      // A refusal is read to the end of the connection (its JSON body included).
      if (end < 0 || !pending.toString('latin1', 0, 12).startsWith('HTTP/1.1 101')) return;
      upgraded = true;
      resolveHead(pending.subarray(0, end).toString('utf8'));
      chunk = pending.subarray(end + 4);
    }
    for (const frame of reader.push(chunk)) {
      const waiter = waiters.shift();
      if (waiter) waiter(frame);
      else frames.push(frame);
    }
  });
  socket.once('end', () => {
    if (!upgraded) resolveHead(pending.toString('utf8'));
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return {
    socket,
    head,
    closed,
    next: () =>
      new Promise<ChannelFrame>((resolve) => {
        const ready = frames.shift();
        if (ready) resolve(ready);
        else waiters.push(resolve);
      }),
  };
}

const statusOf = (head: string) => Number(head.split(' ')[1]);
const codeOf = (head: string) =>
  (JSON.parse(head.slice(head.indexOf('\r\n\r\n') + 4)) as { error: { code: string } }).error.code;

describe('data node batch channel', () => {
  it('refuses an upgrade without the cluster token, with a wrong one, or for another protocol', async () => {
    const none = openRaw({ upgrade: CHANNEL_PROTOCOL });
    const wrong = openRaw({ upgrade: CHANNEL_PROTOCOL, [CLUSTER_TOKEN_HEADER]: 'nope' });
    const other = openRaw({ upgrade: 'websocket', [CLUSTER_TOKEN_HEADER]: TOKEN });
    const elsewhere = openRaw({ upgrade: CHANNEL_PROTOCOL, [CLUSTER_TOKEN_HEADER]: TOKEN }, '/internal/v1/x');
    const answers = await Promise.all([none, wrong, other, elsewhere].map((c) => c.head));
    expect(answers.map((h) => [statusOf(h), codeOf(h)])).toEqual([
      [401, 'AUTH_MISSING'],
      [403, 'AUTH_INVALID'],
      [400, 'HEADER_INVALID'],
      [404, 'ROUTE_NOT_FOUND'],
    ]);
  });

  it('answers bad frames with error frames on the same connection, and serves the next batch', async () => {
    const channel = openRaw({ upgrade: CHANNEL_PROTOCOL, [CLUSTER_TOKEN_HEADER]: TOKEN });
    expect(statusOf(await channel.head)).toBe(101);
    const send = (id: number, kind: number, payload: Uint8Array) =>
      channel.socket.write(encodeChannelFrame(id, kind, payload));
    const errorOf = (frame: ChannelFrame) =>
      decodeMessage<{ error: { code: string } }>(frame.payload).error.code;

    send(1, ChannelFrameKind.request, Buffer.from([0xc1, 0xc1]));
    send(2, ChannelFrameKind.request, encodeMessage({ nope: true }));
    send(3, ChannelFrameKind.results, encodeMessage({ ops: [] }));
    const [key] = keysIn(2, P, 1, 'raw-channel');
    const r = record(key!, 'over the channel', version(5));
    send(4, ChannelFrameKind.request, encodeMessage({ ops: [{ op: 'put', partition: 2, record: r }] }));
    const answers = new Map<number, ChannelFrame>();
    for (let i = 0; i < 4; i++) {
      const frame = await channel.next();
      answers.set(frame.id, frame);
    }
    expect([1, 2, 3].map((id) => [answers.get(id)!.kind, errorOf(answers.get(id)!)])).toEqual([
      [ChannelFrameKind.error, 'FRAME_INVALID'],
      [ChannelFrameKind.error, 'BODY_INVALID'],
      [ChannelFrameKind.error, 'FRAME_INVALID'],
    ]);
    expect(decodeMessage(answers.get(4)!.payload)).toEqual({
      results: [{ status: 'applied', current: r.version }],
    });
    channel.socket.destroy();
  });

  it('answers what a gateway asked before ending its side, then closes the channel', async () => {
    const channel = openRaw({ upgrade: CHANNEL_PROTOCOL, [CLUSTER_TOKEN_HEADER]: TOKEN });
    expect(statusOf(await channel.head)).toBe(101);
    const [key] = keysIn(4, P, 1, 'half-closed');
    const r = record(key!, 'asked, then ended', version(7));
    channel.socket.end(
      encodeChannelFrame(
        9,
        ChannelFrameKind.request,
        encodeMessage({ ops: [{ op: 'put', partition: 4, record: r }] }),
      ),
    );
    const answer = await channel.next();
    expect([answer.id, decodeMessage(answer.payload)]).toEqual([
      9,
      { results: [{ status: 'applied', current: r.version }] },
    ]);
    await channel.closed; // the node ended its side too: no half-open channel is left behind
  });

  it('cuts a connection that sends a frame length beyond the limit, and keeps serving others', async () => {
    const channel = openRaw({ upgrade: CHANNEL_PROTOCOL, [CLUSTER_TOKEN_HEADER]: TOKEN });
    expect(statusOf(await channel.head)).toBe(101);
    const garbage = Buffer.alloc(16, 0xff); // length 0xffffffff
    channel.socket.write(garbage);
    await channel.closed;
    const client = node.client();
    const [key] = keysIn(3, P, 1, 'after-garbage');
    const r = record(key!, 'still here', version(6));
    await expect(client.put(3, r)).resolves.toEqual({ status: 'applied', current: r.version });
    await client.close();
  });
});
