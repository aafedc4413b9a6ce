import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that can black-hole traffic: sockets stay open, bytes stop flowing, the way a
 * half-open connection behind a dead NAT entry or a stuck load balancer behaves. Used to put a real BullMQ
 * worker into the "alive but not consuming" state. While black-holing, new connections are accepted and
 * black-holed too; `heal()` makes new connections work again (existing ones stay dead).
 */
export class FaultProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private blackholed = false;
  port = 0;

  constructor(private readonly targetPort: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.blackholed) {
        client.on('data', () => undefined); // swallow
        return;
      }
      const upstream = createConnection({ port: this.targetPort, host: '127.0.0.1' });
      this.sockets.add(upstream);
      upstream.on('close', () => (this.sockets.delete(upstream), client.destroy()));
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      let dead = false;
      const cut = () => {
        dead = true;
      };
      this.cuts.add(cut);
      client.on('data', (chunk) => void (dead || upstream.write(chunk)));
      upstream.on('data', (chunk) => void (dead || client.write(chunk)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  private readonly cuts = new Set<() => void>();

  /** Stops every byte on existing connections and on connections made from now on. */
  blackhole(): void {
    this.blackholed = true;
    for (const cut of this.cuts) cut();
    this.cuts.clear();
  }

  /** New connections work again. */
  heal(): void {
    this.blackholed = false;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
