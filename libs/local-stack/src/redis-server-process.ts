import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedoubtError } from '@redoubt/errors';
import { freePort } from './free-port.js';
import { ServiceProcess } from './service-process.js';

export { waitForPort } from './wait-for-port.js';

export interface RedisServerOptions {
  dir: string;
  port?: number;
  /** Extra `--name value` arguments. */
  args?: string[];
  /** A config file Redis may rewrite (CONFIG REWRITE, as sentinels do after reconfiguring a server). */
  config?: string;
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

export const REDIS_INSTALL_HINT = 'apt-get install -y redis-server';

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Throws a CONFIG_INVALID error that says how to install redis-server when it is missing. */
export function assertRedisServerAvailable(): void {
  if (!redisServerAvailable()) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      `redis-server is not installed; install it with: ${REDIS_INSTALL_HINT}`,
    );
  }
}

/**
 * The command-line settings redoubt's queues require: AOF on (fsync every second) so jobs survive a
 * restart, `maxmemory-policy noeviction` so Redis never silently drops a job, no RDB snapshots, loopback
 * only, its own port and directory, in the foreground (so that it can be supervised by PID).
 */
export function redisServerArgs(options: {
  port: number;
  dir: string;
  args?: string[];
  config?: string;
}): string[] {
  return [
    // The file must come first; the command line then overrides what it says, except what only it holds.
    ...(options.config ? [options.config] : []),
    '--port',
    String(options.port),
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
  ];
}

/** The system's redis-server on loopback with the settings of `redisServerArgs`. */
export async function startRedisServer(options: RedisServerOptions): Promise<RedisServerHandle> {
  assertRedisServerAvailable();
  mkdirSync(options.dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const server = new ServiceProcess({
    name: 'redis',
    command: 'redis-server',
    args: redisServerArgs({ port, dir: options.dir, args: options.args, config: options.config }),
    env: {},
    readyPort: port,
    readyTimeoutMs: 10_000,
  });
  await server.start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir: options.dir,
    pid: () => server.pid(),
    kill: () => server.kill(),
    restart: () => server.restart(),
    stop: () => server.stop(),
  };
}

export interface TempRedisServer extends RedisServerHandle {
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** A redis-server in a new temporary directory (`prefix` names it), for tests. */
export async function startTempRedisServer(prefix: string): Promise<TempRedisServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const server = await startRedisServer({ dir });
    return {
      ...server,
      dispose: async () => {
        await server.stop();
        remove();
      },
    };
  } catch (error) {
    remove();
    throw error;
  }
}
