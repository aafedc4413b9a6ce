import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterMap, type DataNodeClient } from '@redoubt/cluster-client';
import { partitionOf } from '@redoubt/hashing';
import { dataNodeService, freePort, type ServiceProcess } from '@redoubt/local-stack';
import { build } from '@redoubt/placement';
import type { StoredRecord } from '@redoubt/records';
import { TestRecords } from '@redoubt/records/testing';

export interface TestNode {
  id: string;
  url: string;
  dir: string;
  process: ServiceProcess;
}

/**
 * Real data node processes (apps/data through tsx) on loopback, each with its own directory, and a
 * ClusterMap over them (placement built like every service builds it). `wipe` stops a node, deletes its
 * directory and starts it again empty on the same port: a node that lost its disk.
 */
export class TestCluster extends TestRecords {
  private constructor(
    readonly nodes: TestNode[],
    readonly map: ClusterMap,
    readonly partitions: number,
    readonly clusterToken: string,
    readonly root: string,
  ) {
    super('text/plain');
  }

  static async start(
    options: { nodes?: number; partitions?: number; replicas?: number; logDir?: string } = {},
  ): Promise<TestCluster> {
    const count = options.nodes ?? 3;
    const partitions = options.partitions ?? 16;
    const replicas = Math.min(options.replicas ?? 3, count);
    const clusterToken = 'backup-test-token-0123456789abcdef';
    const root = mkdtempSync(join(tmpdir(), 'redoubt-backup-nodes-'));
    const nodes: TestNode[] = [];
    for (let i = 1; i <= count; i++) {
      const id = `d${i}`;
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const dir = join(root, id);
      nodes.push({
        id,
        url,
        dir,
        process: dataNodeService({
          id,
          port,
          dir,
          clusterToken,
          partitions,
          readyTimeoutMs: 90_000,
          log: options.logDir ? join(options.logDir, `${id}.log`) : 'ignore',
        }),
      });
    }
    const matrix = build(
      nodes.map((n) => ({ id: n.id, zone: n.id, weight: 1 })),
      { partitions, replicas, epoch: 1 },
    );
    const map = new ClusterMap({
      matrix,
      nodes: nodes.map((n) => ({ id: n.id, url: n.url })),
      clusterToken,
      client: { timeoutMs: 10_000 },
    });
    const cluster = new TestCluster(nodes, map, partitions, clusterToken, root);
    try {
      await Promise.all(nodes.map((n) => n.process.start()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `DATA_NODES` for processes that talk to these nodes. */
  get dataNodesEnv(): string {
    return this.nodes.map((n) => `${n.id}=${n.url}`).join(',');
  }

  client(id: string): DataNodeClient {
    return this.map.node(id) as DataNodeClient;
  }

  partitionOf(key: string): number {
    return partitionOf(key, this.partitions);
  }

  /** Writes records to every replica of their partitions, as a gateway with all replicas up would. */
  async writeAll(records: readonly StoredRecord[]): Promise<void> {
    for (let at = 0; at < records.length; at += 512) {
      await Promise.all(
        records.slice(at, at + 512).flatMap((record) => {
          const partition = this.partitionOf(record.key);
          return this.map.replicasOf(partition).map((replica) => replica.put(partition, record));
        }),
      );
    }
  }

  /** Every record of every partition on one node, by key. */
  async contents(id: string): Promise<Map<string, StoredRecord>> {
    const out = new Map<string, StoredRecord>();
    const client = this.client(id);
    for (let p = 0; p < this.partitions; p++) {
      for await (const record of client.streamOut(p)) out.set(record.key, record);
    }
    return out;
  }

  /** The newest record of `key` among its replicas (what a quorum read at R = N returns). */
  async read(key: string): Promise<StoredRecord | null> {
    const partition = this.partitionOf(key);
    let best: StoredRecord | null = null;
    for (const replica of this.map.replicasOf(partition)) {
      const record = await replica.get(partition, key);
      if (record && (!best || record.version > best.version)) best = record;
    }
    return best;
  }

  /** Stops a node, deletes its data directory, starts it again empty. */
  async wipe(id: string): Promise<void> {
    const node = this.nodes.find((n) => n.id === id)!;
    await node.process.stop(10_000);
    rmSync(node.dir, { recursive: true, force: true });
    await node.process.start();
  }

  /**
   * Empties nodes through their API (every partition dropped) without restarting them: an empty cluster
   * for tests that need one but are not about losing disks (much faster than `wipe`).
   */
  async empty(ids: readonly string[] = this.nodes.map((n) => n.id)): Promise<void> {
    await Promise.all(
      ids.flatMap((id) =>
        Array.from({ length: this.partitions }, (_, p) => this.client(id).dropPartition(p)),
      ),
    );
  }

  async wipeAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.wipe(n.id)));
  }

  async stop(): Promise<void> {
    await this.map.close().catch(() => undefined);
    await Promise.allSettled(this.nodes.map((n) => n.process.stop(5_000)));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Keys that hash to `partition`, deterministic for a prefix. */
export { keysInPartition } from '@redoubt/hashing';
