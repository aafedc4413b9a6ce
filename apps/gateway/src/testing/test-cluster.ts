import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionOf } from '@redoubt/hashing';
import {
  appEntry,
  dataNodeService,
  freePort,
  ServiceProcess,
  startRedisServer,
  type RedisServerHandle,
} from '@redoubt/local-stack';
import { build, replicasOf, type PlacementMatrix } from '@redoubt/placement';

export interface TestClusterOptions {
  dataNodes?: number;
  partitions?: number;
  /** Extra or overriding gateway environment. */
  gatewayEnv?: Record<string, string>;
  /** Also run the backup-worker (consumes the replicate queue). */
  worker?: boolean;
}

/** Polls `condition` until it holds; throws with `what` after the deadline. No fixed sleeps as assertions. */
export async function eventually<T>(
  what: string,
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not true within ${timeoutMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const workerAvailable = (): boolean => existsSync(appEntry('backup-worker'));

/**
 * A real redoubt cluster for tests: redis-server, N data nodes, one gateway (and optionally the
 * backup-worker), each its own process on free loopback ports with its own temp directory and log file.
 */
export class TestCluster {
  readonly apiKey = randomBytes(16).toString('hex');
  readonly adminKey = randomBytes(16).toString('hex');
  readonly clusterToken = randomBytes(16).toString('hex');
  readonly queuePrefix = `t${randomBytes(4).toString('hex')}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'redoubt-gw-test-'));
  redis!: RedisServerHandle;
  readonly dataNodes: ServiceProcess[] = [];
  readonly dataNodeIds: string[] = [];
  readonly dataNodeUrls: string[] = [];
  gateway!: ServiceProcess;
  gatewayUrl = '';
  worker: ServiceProcess | undefined;
  private readonly gateways: ServiceProcess[] = [];
  placement!: PlacementMatrix;
  readonly partitions: number;

  private constructor(readonly options: TestClusterOptions) {
    this.partitions = options.partitions ?? 64;
  }

  static async start(options: TestClusterOptions = {}): Promise<TestCluster> {
    const cluster = new TestCluster(options);
    try {
      await cluster.boot();
    } catch (error) {
      const logs = cluster.logTails();
      await cluster.stop();
      throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
    }
    return cluster;
  }

  /** The last lines of every process log, for failure messages. */
  logTails(lines = 15): string {
    const dir = join(this.dir, 'logs');
    if (!existsSync(dir)) return '';
    return readdirSync(dir)
      .map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').split('\n').slice(-lines).join('\n')}`)
      .join('\n');
  }

  private async boot(): Promise<void> {
    this.redis = await startRedisServer({ dir: join(this.dir, 'redis') });
    const count = this.options.dataNodes ?? 3;
    for (let i = 1; i <= count; i++) {
      const port = await freePort();
      const id = `d${i}`;
      this.dataNodeIds.push(id);
      this.dataNodeUrls.push(`http://127.0.0.1:${port}`);
      this.dataNodes.push(
        dataNodeService({
          id,
          name: `data-${i}`,
          port,
          dir: join(this.dir, id),
          clusterToken: this.clusterToken,
          partitions: this.partitions,
          readyTimeoutMs: 60_000,
          log: join(this.dir, 'logs', `${id}.log`),
        }),
      );
    }
    await Promise.all(this.dataNodes.map((n) => n.start()));
    this.placement = build(
      this.dataNodeIds.map((id) => ({ id, zone: id, weight: 1 })),
      { partitions: this.partitions, replicas: 3, epoch: 1 },
    );
    this.gateway = await this.startGateway('gw1', this.options.gatewayEnv ?? {});
    this.gatewayUrl = this.gateway.options.readyUrl!.replace('/readyz', '');
    if (this.options.worker) {
      const port = await freePort();
      this.worker = new ServiceProcess({
        name: 'backup-worker',
        app: 'backup-worker',
        env: {
          ...this.clusterEnv(),
          WORKER_ID: 'w1',
          WORKER_HOST: '127.0.0.1',
          WORKER_PORT: String(port),
          // no scheduled sweeps: what repairs a replica in these tests is the handoff job alone
          ANTI_ENTROPY_EVERY_MS: '0',
          SCRUB_EVERY_MS: '0',
        },
        readyUrl: `http://127.0.0.1:${port}/readyz`,
        readyTimeoutMs: 60_000,
        log: join(this.dir, 'logs', 'worker.log'),
      });
      await this.worker.start();
    }
  }

  /** The environment every cluster service shares. */
  clusterEnv(dataNodes = this.dataNodeIds.map((id, i) => `${id}=${this.dataNodeUrls[i]}`).join(',')) {
    return {
      ADMIN_KEY: this.adminKey,
      CLUSTER_TOKEN: this.clusterToken,
      DATA_NODES: dataNodes,
      REDIS_URL: this.redis.url,
      QUEUE_PREFIX: this.queuePrefix,
      PARTITIONS: String(this.partitions),
      REPLICAS: '3',
      REPLICA_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'warn',
    };
  }

  /** Starts a gateway process (another one can point at other data nodes through `env.DATA_NODES`). */
  async startGateway(id: string, env: Record<string, string>): Promise<ServiceProcess> {
    const port = await freePort();
    const gateway = new ServiceProcess({
      name: id,
      app: 'gateway',
      env: {
        ...this.clusterEnv(),
        GATEWAY_ID: id,
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: String(port),
        API_KEYS: this.apiKey,
        BREAKER_RESET_MS: '1000',
        ...env,
      },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
      readyTimeoutMs: 60_000,
      log: join(this.dir, 'logs', `${id}.log`),
    });
    this.gateways.push(gateway);
    await gateway.start();
    return gateway;
  }

  /** Replica ids of a key, primary first (the same placement the gateway builds). */
  replicasOfKey(key: string): string[] {
    return replicasOf(this.placement, partitionOf(key, this.partitions));
  }

  partitionOfKey(key: string): number {
    return partitionOf(key, this.partitions);
  }

  node(id: string): ServiceProcess {
    return this.dataNodes[this.dataNodeIds.indexOf(id)]!;
  }

  nodeUrl(id: string): string {
    return this.dataNodeUrls[this.dataNodeIds.indexOf(id)]!;
  }

  /** A request to the gateway with the client API key (unless `headers.authorization` is given). */
  request(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    return fetch(this.gatewayUrl + path, {
      ...init,
      headers: { authorization: `Bearer ${this.apiKey}`, ...init.headers },
      signal: init.signal ?? AbortSignal.timeout(20_000),
    });
  }

  put(key: string, body: RequestInit['body'], headers: Record<string, string> = {}): Promise<Response> {
    return this.request(`/v1/kv/${encodeURIComponent(key)}`, { method: 'PUT', body, headers });
  }

  get(key: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(`/v1/kv/${encodeURIComponent(key)}`, { headers });
  }

  async adminStatus(
    gatewayUrl = this.gatewayUrl,
  ): Promise<{ breakers: Record<string, string>; handoffBacklog: number }> {
    const res = await fetch(`${gatewayUrl}/admin/status`, {
      headers: { authorization: `Bearer ${this.adminKey}` },
      signal: AbortSignal.timeout(10_000),
    });
    return (await res.json()) as { breakers: Record<string, string>; handoffBacklog: number };
  }

  async metric(
    name: string,
    labels: Record<string, string> = {},
    gatewayUrl = this.gatewayUrl,
  ): Promise<number> {
    const text = await (await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
        total += Number(line.split(' ').pop());
    }
    return total;
  }

  async stop(): Promise<void> {
    const all = [...this.gateways, this.worker, ...this.dataNodes].filter((p): p is ServiceProcess => !!p);
    await Promise.allSettled(all.map((p) => p.stop(5_000)));
    await this.redis?.stop();
    if (!process.env.KEEP_TEST_DIRS) rmSync(this.dir, { recursive: true, force: true });
  }
}
