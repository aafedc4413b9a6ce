import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataNodeCluster } from '@redoubt/anti-entropy/testing';
import { freePort, ServiceProcess, startRedisServer, type RedisServerHandle } from '@redoubt/local-stack';
import { createRedisConnection, JobProducer, type QueueName, type ReplicateJob } from '@redoubt/queues';
import type { Redis } from 'ioredis';
import type { StoredRecord } from '@redoubt/records';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface WorkerFixtureOptions {
  partitions?: number;
  /** Worker environment on top of the test defaults. */
  env?: Record<string, string>;
}

/**
 * A real backup-worker process with a real redis-server (AOF, noeviction) and three real data nodes, as
 * the integration tests need them. Logs go to files under the fixture's directory (printed on failure by
 * the tests that want them). The test defaults shorten every cadence so that tests wait seconds, not minutes.
 */
export class WorkerFixture {
  private workerProcess: ServiceProcess;
  private producerConnection: Redis;
  readonly producer: JobProducer;

  private constructor(
    readonly root: string,
    readonly redis: RedisServerHandle,
    readonly nodes: DataNodeCluster,
    readonly port: number,
    private env: Record<string, string>,
  ) {
    this.workerProcess = this.makeProcess();
    this.producerConnection = createRedisConnection(redis.url, 'worker');
    this.producerConnection.on('error', () => undefined);
    this.producer = new JobProducer(this.producerConnection, env.QUEUE_PREFIX);
  }

  static async start(options: WorkerFixtureOptions = {}): Promise<WorkerFixture> {
    const partitions = options.partitions ?? 8;
    const root = mkdtempSync(join(tmpdir(), 'redoubt-worker-'));
    const redis = await startRedisServer({ dir: join(root, 'redis') });
    let nodes: DataNodeCluster | undefined;
    try {
      nodes = await DataNodeCluster.start({ nodes: 3, partitions, logDir: join(root, 'logs') });
      const port = await freePort();
      const env: Record<string, string> = {
        WORKER_ID: 'w1',
        WORKER_HOST: '127.0.0.1',
        WORKER_PORT: String(port),
        ADMIN_KEY,
        CLUSTER_TOKEN: nodes.clusterToken,
        DATA_NODES: nodes.dataNodesEnv,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: 'itest',
        PARTITIONS: String(partitions),
        REPLICAS: '3',
        LOG_LEVEL: 'info',
        ANTI_ENTROPY_EVERY_MS: '0',
        SCRUB_EVERY_MS: '0',
        JOB_BACKOFF_MS: '200',
        JOB_LOCK_MS: '4000',
        STALLED_INTERVAL_MS: '1000',
        WATCHDOG_INTERVAL_MS: '1000',
        WATCHDOG_STUCK_MS: '5000',
        REDIS_STALE_MS: '3000',
        REPLICA_TIMEOUT_MS: '2000',
        ...options.env,
      };
      const fixture = new WorkerFixture(root, redis, nodes, port, env);
      await fixture.workerProcess.start();
      return fixture;
    } catch (error) {
      await nodes?.stop();
      await redis.stop();
      throw error;
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get worker(): ServiceProcess {
    return this.workerProcess;
  }

  get logFile(): string {
    return join(this.root, 'logs', 'backup-worker.log');
  }

  /** SIGKILL the worker (a crash mid-job). */
  async killWorker(): Promise<void> {
    await this.workerProcess.kill();
  }

  /** Starts the worker again, optionally with changed environment, and waits until it is ready. */
  async startWorker(env: Record<string, string> = {}): Promise<void> {
    if (this.workerProcess.running()) await this.workerProcess.stop(10_000);
    this.env = { ...this.env, ...env };
    this.workerProcess = this.makeProcess();
    await this.workerProcess.start();
  }

  /** A write that reached only some replicas, with its handoff enqueued the way the gateway does. */
  async writeWithHandoff(
    record: StoredRecord,
    to: readonly string[],
    missed: readonly string[],
  ): Promise<void> {
    await this.nodes.write(record, to);
    const job: ReplicateJob = {
      key: record.key,
      partition: this.nodes.partitionOf(record.key),
      version: record.version,
      targets: [...missed],
      sources: [...to],
      reason: 'handoff',
      epoch: 1,
    };
    await this.producer.replicate(job);
  }

  async readyzStatus(): Promise<number> {
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  async metrics(): Promise<string> {
    const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return res.text();
  }

  /** The value of one sample of /metrics (sum over matching series), 0 when absent. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await this.metrics();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  queue(name: QueueName) {
    return this.producer.queue(name);
  }

  async stop(): Promise<void> {
    await this.workerProcess.stop(10_000).catch(() => undefined);
    await this.producer.close();
    this.producerConnection.disconnect();
    await this.nodes.stop();
    await this.redis.stop();
    rmSync(this.root, { recursive: true, force: true });
  }

  private makeProcess(): ServiceProcess {
    return new ServiceProcess({
      name: 'backup-worker',
      app: 'backup-worker',
      env: this.env,
      readyUrl: `http://127.0.0.1:${this.port}/readyz`,
      readyTimeoutMs: 60_000,
      log: join(this.root, 'logs', 'backup-worker.log'),
    });
  }
}
