import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataNodeClient } from '@redoubt/cluster-client';
import { partitionOf } from '@redoubt/hashing';
import {
  dataNodeService,
  freePort,
  redisServerArgs,
  ServiceProcess,
  Supervisor,
  waitFor as sharedWaitFor,
} from '@redoubt/local-stack';
import { startSupervisorControlServer, type SupervisorControlServer } from '@redoubt/orchestrator/testing';
import { fromJSON, replicasOf, type PlacementMatrix } from '@redoubt/placement';
import type { ClusterStatus } from '@redoubt/recovery';

export const KEYS = {
  admin: 'monitor-test-admin-key-0123456789',
  cluster: 'monitor-test-cluster-token-0123456789',
  api: 'monitor-test-api-key-0123456789',
};

export interface FixtureOptions {
  dataNodes?: number;
  partitions?: number;
  replicas?: number;
  writeQuorum?: number;
  worker?: boolean;
  gateway?: boolean;
  monitors?: number;
  /** Extra monitor environment (e.g. a short DEAD_AFTER_MS). */
  monitorEnv?: Record<string, string>;
}

export interface Endpoint {
  id: string;
  name: string;
  url: string;
  port: number;
}

export interface TestMonitor extends Endpoint {
  process: ServiceProcess;
}

/** The shared polling helper with this fixture's longer default (60 s: whole clusters converge). */
export const waitFor = <T>(what: string, probe: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 100) =>
  sharedWaitFor(what, probe, timeoutMs, everyMs);

/**
 * A cluster on loopback for the monitor's end-to-end tests: redis-server, data nodes and (optionally) a
 * gateway and the backup-worker as real processes under a real Supervisor, whose control API the monitors'
 * local driver uses (the same routes as `npm start`'s); and one or more real monitor processes, outside
 * the supervisor so that a test can kill them. Logs go to `<root>/logs/<name>.log`.
 */
export class MonitorFixture {
  readonly supervisor = new Supervisor({ stopGraceMs: 5_000, restartPolicy: { initialDelayMs: 200 } });
  readonly dataNodes: (Endpoint & { dir: string })[] = [];
  readonly monitors: TestMonitor[] = [];
  readonly services: Endpoint[] = [];
  control!: SupervisorControlServer;
  redisUrl = '';
  gatewayUrl: string | undefined;
  private readonly clients = new Map<string, DataNodeClient>();
  readonly prefix = 'mt';

  private constructor(
    readonly root: string,
    readonly options: Required<Omit<FixtureOptions, 'monitorEnv'>> & { monitorEnv: Record<string, string> },
  ) {}

  static async start(options: FixtureOptions = {}): Promise<MonitorFixture> {
    const fixture = new MonitorFixture(mkdtempSync(join(tmpdir(), 'redoubt-monitor-')), {
      dataNodes: options.dataNodes ?? 3,
      partitions: options.partitions ?? 64,
      replicas: options.replicas ?? 3,
      writeQuorum: options.writeQuorum ?? 2,
      worker: options.worker ?? false,
      gateway: options.gateway ?? false,
      monitors: options.monitors ?? 1,
      monitorEnv: options.monitorEnv ?? {},
    });
    try {
      await fixture.startAll();
      return fixture;
    } catch (error) {
      await fixture.stop();
      throw error;
    }
  }

  get logDir(): string {
    return join(this.root, 'logs');
  }

  /** The last lines of a process's log (for failure messages). */
  logTail(name: string, lines = 40): string {
    try {
      return readFileSync(join(this.logDir, `${name}.log`), 'utf8')
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }

  get dataNodesEnv(): string {
    return this.dataNodes.map((n) => `${n.id}=${n.url}`).join(',');
  }

  private async startAll(): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    const redisPort = await freePort();
    this.redisUrl = `redis://127.0.0.1:${redisPort}`;
    mkdirSync(join(this.root, 'redis'));
    this.supervisor.add(
      new ServiceProcess({
        name: 'redis',
        command: 'redis-server',
        args: redisServerArgs({ port: redisPort, dir: join(this.root, 'redis') }),
        env: {},
        readyPort: redisPort,
        log: join(this.logDir, 'redis.log'),
      }),
      { role: 'redis', tier: 0 },
    );
    for (let i = 1; i <= this.options.dataNodes; i++) await this.addDataNode(i);
    const common = {
      CLUSTER_TOKEN: KEYS.cluster,
      ADMIN_KEY: KEYS.admin,
      DATA_NODES: this.dataNodesEnv,
      REDIS_URL: this.redisUrl,
      QUEUE_PREFIX: this.prefix,
      PARTITIONS: String(this.options.partitions),
      REPLICAS: String(this.options.replicas),
      WRITE_QUORUM: String(this.options.writeQuorum),
      LOG_LEVEL: 'info',
    };
    if (this.options.gateway) {
      const port = await freePort();
      this.gatewayUrl = `http://127.0.0.1:${port}`;
      this.services.push({ id: 'gw1', name: 'gw-1', url: this.gatewayUrl, port });
      this.supervisor.add(
        new ServiceProcess({
          name: 'gw-1',
          app: 'gateway',
          env: {
            ...common,
            GATEWAY_ID: 'gw1',
            GATEWAY_HOST: '127.0.0.1',
            GATEWAY_PORT: String(port),
            API_KEYS: KEYS.api,
            READ_QUORUM: '2',
          },
          readyUrl: `${this.gatewayUrl}/readyz`,
          log: join(this.logDir, 'gw-1.log'),
        }),
        { role: 'gateway', tier: 2 },
      );
    }
    if (this.options.worker) {
      const port = await freePort();
      this.services.push({ id: 'w1', name: 'backup-worker', url: `http://127.0.0.1:${port}`, port });
      this.supervisor.add(
        new ServiceProcess({
          name: 'backup-worker',
          app: 'backup-worker',
          env: {
            ...common,
            WORKER_ID: 'w1',
            WORKER_HOST: '127.0.0.1',
            WORKER_PORT: String(port),
            READ_QUORUM: '2',
            ANTI_ENTROPY_EVERY_MS: '0',
            SCRUB_EVERY_MS: '0',
            MOVE_CONCURRENCY: '4',
            JOB_BACKOFF_MS: '200',
            BANDWIDTH_LIMIT_MB_S: '0',
            REPLICA_TIMEOUT_MS: '2000',
          },
          readyUrl: `http://127.0.0.1:${port}/readyz`,
          log: join(this.logDir, 'backup-worker.log'),
        }),
        { role: 'backup-worker', tier: 2 },
      );
    }
    await this.supervisor.startAll();
    this.control = await startSupervisorControlServer({ supervisor: this.supervisor, adminKey: KEYS.admin });
    for (let i = 1; i <= this.options.monitors; i++) await this.startMonitor(i, common);
    await waitFor('a leading monitor', () => this.leader(), 60_000);
  }

  private async addDataNode(index: number): Promise<void> {
    const port = await freePort();
    const id = `d${index}`;
    const dir = join(this.root, 'data', id);
    mkdirSync(dir, { recursive: true });
    const url = `http://127.0.0.1:${port}`;
    this.dataNodes.push({ id, name: `data-${index}`, url, port, dir });
    this.supervisor.add(
      dataNodeService({
        id,
        name: `data-${index}`,
        port,
        dir,
        clusterToken: KEYS.cluster,
        partitions: this.options.partitions,
        logLevel: 'info',
        log: join(this.logDir, `data-${index}.log`),
      }),
      { role: 'data', tier: 1 },
    );
  }

  /** A data node outside DATA_NODES, started under the supervisor (for `node add`). */
  async startExtraDataNode(index: number): Promise<Endpoint & { dir: string }> {
    await this.addDataNode(index);
    await this.supervisor.get(`data-${index}`).start();
    return this.dataNodes.at(-1)!;
  }

  private async startMonitor(index: number, common: Record<string, string>): Promise<void> {
    const port = await freePort();
    const id = `m${index}`;
    const url = `http://127.0.0.1:${port}`;
    const services = this.services.map((s) => `${s.id}=${s.url}`).join(',');
    const monitor = new ServiceProcess({
      name: `monitor-${index}`,
      app: 'monitor',
      env: {
        ...common,
        MONITOR_ID: id,
        MONITOR_HOST: '127.0.0.1',
        MONITOR_PORT: String(port),
        SERVICES: services,
        ORCHESTRATOR: 'local',
        SUPERVISOR_URL: this.control.url,
        PROBE_INTERVAL_MS: '250',
        LEASE_TTL_MS: '2000',
        DEAD_AFTER_MS: '60000',
        ...this.options.monitorEnv,
      },
      readyUrl: `${url}/readyz`,
      log: join(this.logDir, `monitor-${index}.log`),
    });
    await monitor.start();
    this.monitors.push({ id, name: `monitor-${index}`, url, port, process: monitor });
  }

  async status(monitor: Endpoint = this.monitors[0]!): Promise<ClusterStatus> {
    const res = await fetch(`${monitor.url}/v1/cluster?events=100`, {
      headers: { 'x-redoubt-cluster-token': KEYS.cluster },
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`GET /v1/cluster: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as ClusterStatus;
  }

  /** The monitor that says it leads (undefined while none does). */
  async leader(): Promise<TestMonitor | undefined> {
    for (const monitor of this.monitors) {
      if (!monitor.process.running()) continue;
      try {
        if ((await this.status(monitor)).monitor.leader) return monitor;
      } catch {
        // not answering
      }
    }
    return undefined;
  }

  async placement(monitor: Endpoint = this.monitors[0]!): Promise<PlacementMatrix> {
    const res = await fetch(`${monitor.url}/v1/placement`, {
      headers: { 'x-redoubt-admin-key': KEYS.admin },
    });
    if (!res.ok) throw new Error(`GET /v1/placement: HTTP ${res.status}`);
    return fromJSON(((await res.json()) as { placement: unknown }).placement);
  }

  client(id: string): DataNodeClient {
    let client = this.clients.get(id);
    if (!client) {
      const node = this.dataNodes.find((n) => n.id === id);
      if (!node) throw new Error(`no data node ${id}`);
      client = new DataNodeClient({ id, url: node.url, clusterToken: KEYS.cluster });
      this.clients.set(id, client);
    }
    return client;
  }

  /** Writes through the gateway; resolves true when the write was acknowledged. */
  async put(key: string, value: string): Promise<boolean> {
    if (!this.gatewayUrl) throw new Error('no gateway in this fixture');
    try {
      const res = await fetch(`${this.gatewayUrl}/v1/kv/${encodeURIComponent(key)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${KEYS.api}`, 'content-type': 'application/octet-stream' },
        body: value,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }

  /** Partitions whose replicas (in `matrix`) do not all have the same digest root. */
  async divergentPartitions(matrix: PlacementMatrix): Promise<number[]> {
    const divergent: number[] = [];
    for (let p = 0; p < matrix.partitions; p++) {
      const roots = await Promise.all(
        replicasOf(matrix, p).map(async (id) => (await this.client(id).digest(p)).root),
      );
      if (new Set(roots).size !== 1) divergent.push(p);
    }
    return divergent;
  }

  /** Acknowledged keys that some replica of `matrix` lacks (or holds with another value). */
  async missingKeys(matrix: PlacementMatrix, acked: ReadonlyMap<string, string>): Promise<string[]> {
    const missing: string[] = [];
    for (const [key, value] of acked) {
      const partition = partitionOf(key, matrix.partitions);
      for (const id of replicasOf(matrix, partition)) {
        const record = await this.client(id).get(partition, key);
        if (!record || record.tombstone || Buffer.from(record.value).toString() !== value)
          missing.push(`${key}@${id}`);
      }
    }
    return missing;
  }

  async stop(): Promise<void> {
    await Promise.all(this.monitors.map((m) => m.process.stop(5_000)));
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    await this.control?.close();
    await this.supervisor.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}
