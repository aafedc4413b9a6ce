import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { RedoubtError } from '@redoubt/errors';
import { freePort } from './free-port.js';

export interface RedisServerOptions {
  dir: string;
  port?: number;
  /** Extra `--name value` arguments. */
  args?: string[];
}

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  pid(): number | undefined;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (AOF replays what was acknowledged). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The system's redis-server on loopback with the settings redoubt's queues require: AOF on (fsync every
 * second) so jobs survive a restart, `maxmemory-policy noeviction` so Redis never silently drops a job,
 * no RDB snapshots, its own port and directory.
 */
export async function startRedisServer(options: RedisServerOptions): Promise<RedisServerHandle> {
  if (!redisServerAvailable()) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      'redis-server is not installed; install it with: apt-get install -y redis-server',
    );
  }
  mkdirSync(options.dir, { recursive: true });
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;

  const launch = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        options.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--protected-mode',
        'yes',
        '--daemonize',
        'no',
        ...(options.args ?? []),
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(port, 10_000);
  };

  const killChild = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir: options.dir,
    pid: () => child?.pid,
    kill: () => killChild('SIGKILL'),
    restart: async () => {
      await killChild('SIGKILL');
      await launch();
    },
    stop: () => killChild('SIGTERM'),
  };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new RedoubtError(
        'REPLICA_TIMEOUT',
        `nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
