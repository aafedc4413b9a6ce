import { createConnection } from 'node:net';
import { RedoubtError } from '@redoubt/errors';

/** True when something accepts TCP connections on 127.0.0.1:port right now. */
export function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Resolves once something accepts TCP connections on 127.0.0.1:port. `alive`, when given, is checked
 * between attempts so that a process that died while starting fails the wait at once instead of at the
 * deadline.
 */
export async function waitForPort(port: number, timeoutMs: number, alive?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await portAcceptsConnections(port)) return;
    if (alive && !alive())
      throw new RedoubtError('REPLICA_UNAVAILABLE', `the process for port ${port} exited before it listened`);
    if (Date.now() > deadline)
      throw new RedoubtError(
        'REPLICA_TIMEOUT',
        `nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
