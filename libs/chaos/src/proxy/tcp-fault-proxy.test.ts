import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TcpFaultProxy } from './tcp-fault-proxy.js';

/** A real TCP echo server; remembers what it received. */
let echo: Server;
let received: Buffer[];
let proxy: TcpFaultProxy;

beforeEach(async () => {
  received = [];
  echo = createServer((socket) => {
    socket.on('data', (chunk) => {
      received.push(chunk);
      socket.write(chunk);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  proxy = new TcpFaultProxy({
    name: 'client->echo',
    target: { host: '127.0.0.1', port: (echo.address() as AddressInfo).port },
    random: () => 0.5,
  });
  await proxy.listen();
});

afterEach(async () => {
  await proxy.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

async function client(): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Sends `bytes` and resolves with the time until all of it came back, or null after `timeoutMs`. */
function roundTrip(socket: Socket, bytes: Buffer, timeoutMs = 1500): Promise<number | null> {
  const started = Date.now();
  return new Promise((resolve) => {
    let got = 0;
    const timer = setTimeout(() => done(null), timeoutMs);
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got >= bytes.length) done(Date.now() - started);
    };
    function done(value: number | null) {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(value);
    }
    socket.on('data', onData);
    socket.write(bytes);
  });
}

describe('TcpFaultProxy', () => {
  it('forwards both ways on a clean link', async () => {
    const socket = await client();
    expect(await roundTrip(socket, Buffer.from('hello'))).not.toBeNull();
    expect(Buffer.concat(received).toString()).toBe('hello');
    expect(proxy.stats).toMatchObject({ connections: 1, open: 1, bytesForwarded: 10 });
    socket.destroy();
  });

  it('adds latency with jitter each way, in order', async () => {
    const socket = await client();
    const clean = (await roundTrip(socket, Buffer.from('a')))!;
    proxy.set({ mode: 'slow', latencyMs: 100, jitterMs: 100 }); // random() = 0.5: 150 ms each way
    const slow = (await roundTrip(socket, Buffer.from('b')))!;
    expect(slow).toBeGreaterThanOrEqual(290);
    expect(slow - clean).toBeGreaterThanOrEqual(280);
    proxy.clear();
    expect((await roundTrip(socket, Buffer.from('c')))!).toBeLessThan(150);
    expect(Buffer.concat(received).toString()).toBe('abc');
    socket.destroy();
  });

  it('limits bandwidth', async () => {
    const socket = await client();
    proxy.set({ mode: 'slow', direction: 'outbound', bytesPerSecond: 64 * 1024 });
    const took = await roundTrip(socket, Buffer.alloc(64 * 1024, 7), 5000);
    expect(took).not.toBeNull();
    expect(took!).toBeGreaterThanOrEqual(900); // 64 KiB at 64 KiB/s
    socket.destroy();
  });

  it('partitions both ways: nothing gets through until it heals, then the connection works again', async () => {
    const socket = await client();
    proxy.set({ mode: 'partition' });
    expect(await roundTrip(socket, Buffer.from('lost'), 500)).toBeNull();
    expect(received).toEqual([]);
    proxy.clear();
    expect(await roundTrip(socket, Buffer.from('back'))).not.toBeNull();
    expect(Buffer.concat(received).toString()).toBe('back');
    expect(proxy.stats.bytesDropped).toBe(4);
    socket.destroy();
  });

  it('partitions one way: requests arrive, answers are lost (inbound)', async () => {
    const socket = await client();
    proxy.set({ mode: 'partition', direction: 'inbound' });
    expect(await roundTrip(socket, Buffer.from('applied'), 500)).toBeNull();
    expect(Buffer.concat(received).toString()).toBe('applied');
    socket.destroy();
  });

  it('resets open connections and new ones while the fault lasts', async () => {
    const socket = await client();
    const closed = new Promise<string>((resolve) => {
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      socket.on('close', () => resolve('closed'));
    });
    proxy.set({ mode: 'reset' });
    expect(await closed).toBe('ECONNRESET');
    const fresh = connect({ host: '127.0.0.1', port: proxy.port });
    const outcome = await new Promise<string>((resolve) => {
      fresh.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      fresh.on('close', () => resolve('closed'));
    });
    expect(['ECONNRESET', 'closed']).toContain(outcome);
    expect(proxy.stats.resets).toBeGreaterThanOrEqual(2);
    proxy.clear();
    const healed = await client();
    expect(await roundTrip(healed, Buffer.from('ok'))).not.toBeNull();
    healed.destroy();
  });
});
