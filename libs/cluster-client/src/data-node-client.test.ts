import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { decodeMessage, encodeMessage, formatVersion, makeRecord } from '@redoubt/records';
import { RedoubtError } from '@redoubt/errors';
import { DataNodeClient, type BatchGuard, type DataNodeClientOptions } from './data-node-client.js';
import { encodeFrame, FrameKind } from './frames.js';
import type { BatchRequest } from './internal-protocol.js';
import { expectPerOpOutcomes, perOpAnswers } from './testing/per-op-outcomes.js';

/**
 * The client against real sockets that misbehave in the ways a node can: refuse, hang, answer errors,
 * damage a record, cut a stream short (batches over HTTP; batch-channel.test.ts covers the channel). (The client against a real data node is tested in apps/data.)
 */
const record = makeRecord({
  key: 'k',
  value: Buffer.from('value'),
  contentType: 'text/plain',
  version: formatVersion({ wall: 1, logical: 0, writer: 'w' }),
  tombstone: false,
});

const servers: (Server | TcpServer)[] = [];
let clients: DataNodeClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
});
const sockets = new Set<Socket>();
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server | TcpServer): Promise<string> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** Batches by HTTP here (what these fake nodes speak); the channel has batch-channel.test.ts. */
function client(url: string, timeoutMs = 2_000, extra: Partial<DataNodeClientOptions> = {}): DataNodeClient {
  const c = new DataNodeClient({
    id: 'n1',
    url,
    clusterToken: 'token-0123456789abcdef',
    timeoutMs,
    batchTransport: 'http',
    ...extra,
  });
  clients.push(c);
  return c;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function http(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<string> {
  return listen(createServer((req, res) => void handler(req, res)));
}

describe('DataNodeClient errors', () => {
  it('maps a refused connection to REPLICA_UNAVAILABLE and a silent node to REPLICA_TIMEOUT', async () => {
    const closedUrl = await listen(createTcpServer());
    await new Promise((r) => servers.pop()!.close(r));
    await expect(client(closedUrl).put(0, record)).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    await expect(client(closedUrl).digest(0)).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    expect(await client(closedUrl).ready()).toBe(false);

    const silent = await listen(createTcpServer(() => undefined)); // accepts, never answers
    await expect(client(silent, 200).put(0, record)).rejects.toMatchObject({ code: 'REPLICA_TIMEOUT' });
    await expect(client(silent, 200).digest(0)).rejects.toMatchObject({ code: 'REPLICA_TIMEOUT' });
  });

  it('maps 401/403 and catalogue error bodies to their codes', async () => {
    const url = await http((req, res) => {
      const status = req.url?.includes('/digest') ? 401 : req.url?.includes('/partitions') ? 403 : 503;
      const code = status === 401 ? 'AUTH_MISSING' : status === 403 ? 'AUTH_INVALID' : 'STORE_UNAVAILABLE';
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code, message: 'x' } }));
    });
    await expect(client(url).digest(0)).rejects.toMatchObject({ code: 'AUTH_MISSING' });
    await expect(client(url).listPartitions()).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    await expect(client(url).put(0, record)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('gives each op of a batch its own outcome and refuses a record damaged on the way', async () => {
    const url = await http(async (req, res) => {
      const { ops } = decodeMessage<BatchRequest>(await body(req));
      const results = perOpAnswers(ops, record);
      res.writeHead(200, { 'content-type': 'application/msgpack' }).end(encodeMessage({ results }));
    });
    await expectPerOpOutcomes(client(url), record);
  });

  it('fails a partition stream cut off before its end frame, and relays an error frame', async () => {
    const url = await http((req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-redoubt-frames' });
      res.write(encodeFrame(FrameKind.record, record));
      if (req.url?.includes('/partitions/1/'))
        res.end(encodeFrame(FrameKind.error, { code: 'STORE_UNAVAILABLE', message: 'closing' }));
      else res.end();
    });
    const seen: string[] = [];
    const consume = async (partition: number) => {
      for await (const r of client(url).streamOut(partition)) seen.push(r.key);
    };
    await expect(consume(0)).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    await expect(consume(1)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(seen).toEqual(['k', 'k']);
  });
});

describe('DataNodeClient batch guard', () => {
  /** A node that answers every op of a batch; counts the batch requests and ops it received. */
  async function countingNode() {
    const seen = { batches: 0, ops: 0 };
    const url = await http(async (req, res) => {
      const { ops } = decodeMessage<BatchRequest>(await body(req));
      seen.batches++;
      seen.ops += ops.length;
      const results = ops.map((op) =>
        op.op === 'put' ? { status: 'applied', current: record.version } : { record: null },
      );
      res.writeHead(200, { 'content-type': 'application/msgpack' }).end(encodeMessage({ results }));
    });
    return { url, seen };
  }

  it('runs each batch through the guard once, not each op', async () => {
    const { url, seen } = await countingNode();
    let runs = 0;
    const guard: BatchGuard = {
      run: (send) => {
        runs++;
        return send();
      },
    };
    const c = client(url, 2_000, { batchGuard: guard, maxInFlight: 1 });
    const calls = [
      ...Array.from({ length: 12 }, () => c.put(0, record)),
      ...Array.from({ length: 4 }, (_, i) => c.get(0, `k${i}`)),
    ];
    await Promise.all(calls);
    expect(seen.ops).toBe(16);
    expect(runs).toBe(seen.batches);
    expect(runs).toBeLessThan(16); // puts and gets each coalesced
  });

  it("fails every op of a refused batch with the guard's error and never sends it", async () => {
    const { url, seen } = await countingNode();
    const refusing: BatchGuard = {
      run: () => Promise.reject(new RedoubtError('CIRCUIT_OPEN', 'the circuit breaker for n1 is open')),
    };
    const c = client(url, 2_000, { batchGuard: refusing });
    const outcomes = await Promise.allSettled([c.put(0, record), c.put(0, record), c.get(0, 'k')]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'CIRCUIT_OPEN' } });
    }
    expect(seen.batches).toBe(0);
  });
});
