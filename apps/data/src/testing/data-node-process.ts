import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataNodeClient, type DataNodeClientOptions } from '@redoubt/cluster-client';
import { keysInPartition } from '@redoubt/hashing';
import { dataNodeService, freePort, type ServiceProcess } from '@redoubt/local-stack';
import { formatVersion } from '@redoubt/records';

/** Test support (not part of the app): a data node as a real process on a free port and a temp dir. */

export const TOKEN = 'cluster-token-for-tests-0123456789';

export interface DataNodeHandle {
  id: string;
  url: string;
  dir: string;
  partitions: number;
  process: ServiceProcess;
  client(options?: Partial<DataNodeClientOptions>): DataNodeClient;
  dispose(): Promise<void>;
}

export async function startDataNode(
  options: { id?: string; partitions?: number; testHooks?: boolean; log?: string } = {},
): Promise<DataNodeHandle> {
  const id = options.id ?? 'd1';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `redoubt-data-${id}-`));
  const partitions = options.partitions ?? 16;
  const url = `http://127.0.0.1:${port}`;
  const process = dataNodeService({
    id,
    name: `data-${id}`,
    port,
    dir,
    clusterToken: TOKEN,
    partitions,
    testHooks: options.testHooks ?? false,
    log: options.log ?? 'ignore',
  });
  await process.start();
  const clients: DataNodeClient[] = [];
  return {
    id,
    url,
    dir,
    partitions,
    process,
    client(more = {}) {
      const client = new DataNodeClient({ id, url, clusterToken: TOKEN, timeoutMs: 10_000, ...more });
      clients.push(client);
      return client;
    },
    async dispose() {
      await Promise.all(clients.map((c) => c.close()));
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function version(wall: number, writer = 'gw1'): string {
  return formatVersion({ wall, logical: 0, writer });
}

export { testRecord as record } from '@redoubt/records/testing';

/** `count` distinct keys of `partition` under `partitions`. */
export function keysIn(partition: number, partitions: number, count: number, prefix = 'key'): string[] {
  return keysInPartition(partition, partitions, count, prefix);
}
