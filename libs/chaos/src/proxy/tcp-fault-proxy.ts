import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { LinkDirection } from '../scenario/scenario-schema.js';

/**
 * What a link suffers right now. Directions are seen from the proxy's client (the service that connects,
 * e.g. a gateway): `outbound` is client → server (requests), `inbound` is server → client (answers).
 */
export interface LinkFault {
  /**
   * `partition`: bytes in the affected direction(s) are dropped and nothing is answered (connections hang
   * until the client's own timeout, as behind a cut cable; a one-way partition lets requests through and
   * loses their answers, or the reverse); `reset`: every connection is reset (RST) and new ones are reset
   * at once; `slow`: latency, jitter and a bandwidth limit; `none`: a clean link.
   */
  mode: 'none' | 'partition' | 'reset' | 'slow';
  direction: LinkDirection;
  /** slow: added one-way delay per chunk, and a uniform random extra of up to `jitterMs`. */
  latencyMs: number;
  jitterMs: number;
  /** slow: bytes per second per direction and connection; 0 = unlimited. */
  bytesPerSecond: number;
}

export const CLEAN_LINK: LinkFault = {
  mode: 'none',
  direction: 'both',
  latencyMs: 0,
  jitterMs: 0,
  bytesPerSecond: 0,
};

export interface LinkStats {
  connections: number;
  open: number;
  bytesForwarded: number;
  bytesDropped: number;
  resets: number;
}

export interface TcpFaultProxyOptions {
  /** A name for the link (`gw-1->d1`). */
  name: string;
  target: { host: string; port: number };
  listenHost?: string;
  /** 0 (default): a free port from the OS. */
  listenPort?: number;
  /** Random source for jitter (tests pass a seeded one). */
  random?: () => number;
}

/** Pauses a direction's source beyond this many bytes queued behind a delay. */
const HIGH_WATER = 1 << 20;

/**
 * A user-space TCP proxy that puts faults on one link (node:net; this kernel has no netem, so delay and
 * bandwidth cannot be shaped in the kernel). Services are pointed at the proxy's port instead of their
 * peer's; `set` changes the fault of the link at once, for the connections open and those to come.
 */
export class TcpFaultProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private fault: LinkFault = CLEAN_LINK;
  private readonly random: () => number;
  readonly stats: LinkStats = { connections: 0, open: 0, bytesForwarded: 0, bytesDropped: 0, resets: 0 };

  constructor(private readonly options: TcpFaultProxyOptions) {
    this.random = options.random ?? Math.random;
    this.server = createServer({ noDelay: true }, (client) => this.accept(client));
  }

  get name(): string {
    return this.options.name;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.listenPort ?? 0, this.options.listenHost ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  current(): LinkFault {
    return { ...this.fault };
  }

  set(fault: Partial<LinkFault>): LinkFault {
    this.fault = { ...CLEAN_LINK, ...fault };
    if (this.fault.mode === 'reset') for (const socket of this.sockets) this.reset(socket);
    return this.current();
  }

  clear(): void {
    this.fault = CLEAN_LINK;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.stats.connections += 1;
    if (this.fault.mode === 'reset') {
      this.track(client);
      this.reset(client);
      return;
    }
    const server = connect({ host: this.options.target.host, port: this.options.target.port, noDelay: true });
    this.track(client);
    this.track(server);
    this.stats.open += 1;
    const closeBoth = () => {
      client.destroy();
      server.destroy();
    };
    client.once('close', () => {
      this.stats.open -= 1;
      server.destroy();
    });
    server.once('close', () => client.destroy());
    client.on('error', closeBoth);
    server.on('error', () => this.reset(client));
    this.pipe(client, server, 'outbound');
    this.pipe(server, client, 'inbound');
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private reset(socket: Socket): void {
    this.stats.resets += 1;
    if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed && socket.readyState === 'open')
      socket.resetAndDestroy();
    else socket.destroy();
  }

  private hits(direction: 'outbound' | 'inbound'): boolean {
    return this.fault.direction === 'both' || this.fault.direction === direction;
  }

  /** One direction: forwarded, dropped (partition) or delayed in order (slow), with backpressure. */
  private pipe(from: Socket, to: Socket, direction: 'outbound' | 'inbound'): void {
    let sendAt = 0;
    let queued = 0;
    from.on('data', (chunk: Buffer) => {
      const fault = this.fault;
      if (fault.mode === 'partition' && this.hits(direction)) {
        this.stats.bytesDropped += chunk.length;
        return;
      }
      if (fault.mode !== 'slow' || !this.hits(direction)) {
        if (queued === 0) return this.forward(to, chunk);
      }
      const now = Date.now();
      const delay = fault.mode === 'slow' ? fault.latencyMs + this.random() * fault.jitterMs : 0;
      const transfer =
        fault.mode === 'slow' && fault.bytesPerSecond > 0 ? (chunk.length / fault.bytesPerSecond) * 1000 : 0;
      // In order: never before the previous chunk, and the bandwidth limit spaces chunks by their size.
      sendAt = Math.max(sendAt, now + delay) + transfer;
      queued += chunk.length;
      if (queued > HIGH_WATER) from.pause();
      setTimeout(
        () => {
          queued -= chunk.length;
          this.forward(to, chunk);
          if (queued <= HIGH_WATER && from.isPaused()) from.resume();
        },
        Math.max(0, sendAt - now),
      );
    });
    from.on('end', () => {
      // Half-close after whatever is still queued behind a delay.
      const wait = Math.max(0, sendAt - Date.now());
      setTimeout(() => to.end(), wait);
    });
  }

  private forward(to: Socket, chunk: Buffer): void {
    if (to.destroyed) return;
    this.stats.bytesForwarded += chunk.length;
    to.write(chunk);
  }
}
