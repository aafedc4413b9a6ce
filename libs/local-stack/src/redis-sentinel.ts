import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RedisTarget } from '@redoubt/config';
import { RedoubtError } from '@redoubt/errors';
import { freePort } from './free-port.js';
import { startRedisServer, type RedisServerHandle } from './redis-server-process.js';
import { ServiceProcess } from './service-process.js';

const run = promisify(execFile);

/** The master name the local sentinels monitor (REDIS_SENTINEL_NAME of the local stack). */
export const SENTINEL_MASTER_NAME = 'redoubt';

/** How quickly the sentinels act. Loopback answers in microseconds: a second of silence is a death. */
export interface SentinelTiming {
  /** `down-after-milliseconds`: silence before a sentinel deems the master down. */
  downAfterMs: number;
  /** `failover-timeout`: how long one failover attempt may take before another sentinel tries. */
  failoverTimeoutMs: number;
  /** Sentinels that must agree the master is down. */
  quorum: number;
}

export const LOCAL_SENTINEL_TIMING: SentinelTiming = {
  downAfterMs: 1_000,
  failoverTimeoutMs: 5_000,
  quorum: 2,
};

/**
 * Writes a Redis or Sentinel config file unless one made for the same layout is already there. Redis
 * rewrites these files itself (Sentinel its state; a server its `replicaof` when a sentinel reconfigures it,
 * by CONFIG REWRITE), so a process restarted after a failover comes back in the role the sentinels gave it,
 * not the one it had at first. A changed layout (other ports) starts over from `content`.
 */
export function prepareConfigFile(dir: string, file: string, layout: string, content: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  const marker = join(dir, `${file}.layout`);
  const same = existsSync(path) && existsSync(marker) && readFileSync(marker, 'utf8') === layout;
  if (!same) {
    writeFileSync(path, content, { mode: 0o600 });
    writeFileSync(marker, layout, { mode: 0o600 });
  }
  return path;
}

/** Makes the next `prepareConfigFile` of this file write it afresh. */
export function forgetConfigFile(dir: string, file: string): void {
  rmSync(join(dir, `${file}.layout`), { force: true });
}

/** A group member's own config file: only its role; everything else is on the command line (redisServerArgs). */
export function memberConfig(replicaOf?: { host: string; port: number }): string {
  return (
    '# redoubt: written once per layout, then kept up to date by Redis (CONFIG REWRITE from the sentinels)\n' +
    (replicaOf ? `replicaof ${replicaOf.host} ${replicaOf.port}\n` : '')
  );
}

/** A sentinel's config file (sentinels must be able to rewrite it: they record their state there). */
export function sentinelConfig(options: {
  port: number;
  dir: string;
  master: { host: string; port: number };
  name?: string;
  timing?: SentinelTiming;
}): string {
  const name = options.name ?? SENTINEL_MASTER_NAME;
  const timing = options.timing ?? LOCAL_SENTINEL_TIMING;
  return [
    `port ${options.port}`,
    'bind 127.0.0.1',
    `dir ${options.dir}`,
    'daemonize no',
    `sentinel monitor ${name} ${options.master.host} ${options.master.port} ${timing.quorum}`,
    `sentinel down-after-milliseconds ${name} ${timing.downAfterMs}`,
    `sentinel failover-timeout ${name} ${timing.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${name} 1`,
    '',
  ].join('\n');
}

/** The command line of a sentinel: the system's redis-server in sentinel mode (no second package needed). */
export function sentinelArgs(configFile: string): string[] {
  return [configFile, '--sentinel'];
}

/** Asks one sentinel who the master is; undefined when it does not answer. */
export async function askSentinel(
  port: number,
  name = SENTINEL_MASTER_NAME,
): Promise<{ host: string; port: number } | undefined> {
  try {
    const { stdout } = await run(
      'redis-cli',
      ['-h', '127.0.0.1', '-p', String(port), 'SENTINEL', 'get-master-addr-by-name', name],
      {
        timeout: 1_000,
      },
    );
    const [host, masterPort] = stdout.trim().split('\n');
    return host && masterPort ? { host, port: Number(masterPort) } : undefined;
  } catch {
    return undefined;
  }
}

export interface SentinelProcessHandle {
  readonly port: number;
  pid(): number | undefined;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface SentinelGroup {
  readonly name: string;
  /** The servers in start order: [0] is the first master, then the replicas. */
  readonly servers: readonly RedisServerHandle[];
  readonly sentinels: readonly SentinelProcessHandle[];
  /** How services reach the group (REDIS_SENTINELS / REDIS_SENTINEL_NAME). */
  readonly target: RedisTarget;
  /** The master as the sentinels see it now (the first answer among them). */
  master(): Promise<{ host: string; port: number } | undefined>;
  /** Stops every process (sentinels first). */
  stop(): Promise<void>;
}

/**
 * A master, its replicas and sentinels, each a real process on loopback under `dir` (for tests and
 * benchmarks; `npm start -- --redis sentinel` runs the same under its supervisor). Resolves once the
 * replicas are in sync and every sentinel knows the master and its replicas.
 */
export async function startSentinelGroup(options: {
  dir: string;
  replicas?: number;
  sentinels?: number;
  name?: string;
  timing?: SentinelTiming;
}): Promise<SentinelGroup> {
  const name = options.name ?? SENTINEL_MASTER_NAME;
  const servers: RedisServerHandle[] = [];
  const sentinels: SentinelProcessHandle[] = [];
  const stop = async () => {
    await Promise.all(sentinels.map((s) => s.stop()));
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    const masterPort = await freePort();
    const master = { host: '127.0.0.1', port: masterPort };
    for (let i = 0; i <= (options.replicas ?? 1); i += 1) {
      const dir = join(options.dir, `redis-${i}`);
      const port = i === 0 ? masterPort : await freePort();
      const config = prepareConfigFile(
        dir,
        'redis.conf',
        `${port}>${masterPort}`,
        memberConfig(i === 0 ? undefined : master),
      );
      servers.push(await startRedisServer({ dir, port, config }));
    }
    for (let i = 0; i < (options.sentinels ?? 3); i += 1) {
      const dir = join(options.dir, `sentinel-${i}`);
      const port = await freePort();
      const content = sentinelConfig({ port, dir, master, name, timing: options.timing });
      const config = prepareConfigFile(dir, 'sentinel.conf', `${port}>${masterPort}`, content);
      const sentinel = new ServiceProcess({
        name: `sentinel-${i}`,
        command: 'redis-server',
        args: sentinelArgs(config),
        env: {},
        readyPort: port,
        readyTimeoutMs: 10_000,
      });
      await sentinel.start();
      sentinels.push({
        port,
        pid: () => sentinel.pid(),
        kill: () => sentinel.kill(),
        stop: () => sentinel.stop(),
      });
    }
    const group: SentinelGroup = {
      name,
      servers,
      sentinels,
      target: {
        kind: 'sentinel',
        name,
        sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      },
      master: async () => {
        for (const s of sentinels) {
          const found = await askSentinel(s.port, name);
          if (found) return found;
        }
        return undefined;
      },
      stop,
    };
    await waitForSentinelGroup({
      sentinels: sentinels.map((s) => s.port),
      servers: servers.map((s) => s.port),
      name,
    });
    return group;
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Waits until every sentinel sees the master with all the other servers as its replicas and the other
 * sentinels, and every replica finished its first sync. Sentinels learn of replicas from the master's INFO,
 * every 10 s: until then a dead master has no one to be replaced by, so a group is not ready before this.
 * `servers`: every server's port, whichever is master now (after a failover it need not be the first).
 */
export async function waitForSentinelGroup(options: {
  sentinels: readonly number[];
  servers: readonly number[];
  name?: string;
  timeoutMs?: number;
}): Promise<void> {
  const name = options.name ?? SENTINEL_MASTER_NAME;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const replicas = options.servers.length - 1;
  const cli = (port: number, ...args: string[]) =>
    run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 1_000 }).then(
      (r) => r.stdout,
      () => '',
    );
  while (Date.now() < deadline) {
    const known = await Promise.all(
      options.sentinels.map(async (port) => {
        const master = await cli(port, 'SENTINEL', 'master', name);
        const slaves = Number(/num-slaves\n(\d+)/.exec(master)?.[1]);
        const others = Number(/num-other-sentinels\n(\d+)/.exec(master)?.[1]);
        return slaves >= replicas && others >= options.sentinels.length - 1;
      }),
    );
    const infos = await Promise.all(options.servers.map((port) => cli(port, 'INFO', 'replication')));
    const following = infos.filter((info) => info.includes('role:slave'));
    const synced =
      following.length === replicas && following.every((info) => info.includes('master_link_status:up'));
    if (known.every(Boolean) && synced) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new RedoubtError(
    'REPLICA_UNAVAILABLE',
    `the sentinels of ${name} did not see its master with ${replicas} replica(s) in sync within ${timeoutMs} ms`,
  );
}
