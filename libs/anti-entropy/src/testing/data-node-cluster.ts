import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataNodeClient, type PartitionDigest } from '@redoubt/cluster-client';
import { partitionOf } from '@redoubt/hashing';
import {
  dataNodeService,
  freePort,
  type ServiceProcess,
  waitFor as sharedWaitFor,
} from '@redoubt/local-stack';
import { build, type PlacementMatrix } from '@redoubt/placement';
import type { StoredRecord, Version } from '@redoubt/records';
import { TestRecords } from '@redoubt/records/testing';
import { clusterViewOf, type ClusterView } from '../cluster-view.js';

export interface TestDataNode {
  id: string;
  url: string;
  port: number;
  dir: string;
  process: ServiceProcess;
  client: DataNodeClient;
}

export interface DataNodeClusterOptions {
  nodes?: number;
  partitions?: number;
  replicas?: number;
  clusterToken?: string;
  /** Log file for each node's output (default: discarded). */
  logDir?: string;
}

/**
 * Real data node processes (apps/data through tsx) on loopback with their own directories, for tests of
 * anything that moves data between nodes. Test hooks are on, so a test can damage a stored record.
 */
export class DataNodeCluster extends TestRecords {
  readonly nodes: TestDataNode[] = [];
  readonly matrix: PlacementMatrix;
  readonly view: ClusterView;
  readonly clusterToken: string;
  readonly root: string;

  private constructor(
    readonly options: Required<Omit<DataNodeClusterOptions, 'logDir'>> & { logDir?: string },
    nodes: TestDataNode[],
    root: string,
  ) {
    super();
    this.nodes = nodes;
    this.root = root;
    this.clusterToken = options.clusterToken;
    this.matrix = build(
      nodes.map((n) => ({ id: n.id, zone: n.id, weight: 1 })),
      { partitions: options.partitions, replicas: options.replicas, epoch: 1 },
    );
    this.view = clusterViewOf(
      this.matrix,
      nodes.map((n) => n.client),
    );
  }

  static async start(options: DataNodeClusterOptions = {}): Promise<DataNodeCluster> {
    const settings = {
      nodes: options.nodes ?? 3,
      partitions: options.partitions ?? 8,
      replicas: options.replicas ?? 3,
      clusterToken: options.clusterToken ?? 'test-cluster-token-0123456789abcdef',
      ...(options.logDir ? { logDir: options.logDir } : {}),
    };
    const root = mkdtempSync(join(tmpdir(), 'redoubt-nodes-'));
    const nodes: TestDataNode[] = [];
    for (let i = 1; i <= settings.nodes; i++) {
      const id = `d${i}`;
      const port = await freePort();
      const dir = join(root, id);
      const url = `http://127.0.0.1:${port}`;
      const process = dataNodeService({
        id,
        port,
        dir,
        clusterToken: settings.clusterToken,
        partitions: settings.partitions,
        testHooks: true,
        readyTimeoutMs: 60_000,
        log: settings.logDir ? join(settings.logDir, `${id}.log`) : 'ignore',
      });
      const client = new DataNodeClient({ id, url, clusterToken: settings.clusterToken, timeoutMs: 5_000 });
      nodes.push({ id, url, port, dir, process, client });
    }
    const cluster = new DataNodeCluster(settings, nodes, root);
    try {
      await Promise.all(nodes.map((n) => n.process.start()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  node(id: string): TestDataNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no test node ${id}`);
    return node;
  }

  /** `DATA_NODES` for services that talk to these nodes. */
  get dataNodesEnv(): string {
    return this.nodes.map((n) => `${n.id}=${n.url}`).join(',');
  }

  partitionOf(key: string): number {
    return partitionOf(key, this.options.partitions);
  }

  /** Writes a record to the given nodes only (the others miss it, as if they were down). */
  async write(record: StoredRecord, to: readonly string[]): Promise<void> {
    const partition = this.partitionOf(record.key);
    await Promise.all(to.map((id) => this.node(id).client.put(partition, record)));
  }

  /** Writes many records to the given nodes, concurrently (the client coalesces them into batches). */
  async writeMany(records: readonly StoredRecord[], to: readonly string[]): Promise<void> {
    for (let at = 0; at < records.length; at += 512) {
      await Promise.all(records.slice(at, at + 512).map((record) => this.write(record, to)));
    }
  }

  async digests(partition: number, ids = this.nodes.map((n) => n.id)): Promise<Map<string, PartitionDigest>> {
    const entries = await Promise.all(
      ids.map(async (id) => [id, await this.node(id).client.digest(partition)] as const),
    );
    return new Map(entries);
  }

  /** True when every node holding each partition has the same root digest. */
  async converged(partitions: Iterable<number> = range(this.options.partitions)): Promise<boolean> {
    for (const partition of partitions) {
      const replicas = this.view.replicasOf(partition);
      const digests = await this.digests(partition, replicas);
      if (new Set([...digests.values()].map((d) => d.root)).size !== 1) return false;
    }
    return true;
  }

  /** key -> version of every record (tombstones included) a node holds in a partition. */
  async versions(id: string, partition: number): Promise<Map<string, Version>> {
    const out = new Map<string, Version>();
    for await (const record of this.node(id).client.streamOut(partition)) out.set(record.key, record.version);
    return out;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.client.close()));
    await Promise.allSettled(this.nodes.map((n) => n.process.stop(5_000)));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Keys that hash to `partition`, deterministic for a prefix. */
export { keysInPartition } from '@redoubt/hashing';

/** The shared polling helper with this fixture's longer default (60 s: whole clusters converge). */
export const waitFor = <T>(what: string, probe: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 100) =>
  sharedWaitFor(what, probe, timeoutMs, everyMs);

function* range(n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield i;
}
