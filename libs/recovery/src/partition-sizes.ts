import type { DataNodeApi } from '@redoubt/cluster-client';

export interface PartitionSizes {
  /** Bytes per partition (the largest any replica reported). */
  bytes: Map<number, number>;
  /** Nodes that answered / were asked. */
  answered: string[];
  missing: string[];
  readAt: number;
}

/** Asks every given node for its partitions (records, bytes), in parallel, with a timeout each. */
export async function readPartitionSizes(
  nodes: readonly DataNodeApi[],
  timeoutMs = 2_000,
): Promise<PartitionSizes> {
  const bytes = new Map<number, number>();
  const answered: string[] = [];
  const missing: string[] = [];
  await Promise.all(
    nodes.map(async (node) => {
      try {
        const partitions = await node.listPartitions({ timeoutMs });
        for (const p of partitions) bytes.set(p.partition, Math.max(bytes.get(p.partition) ?? 0, p.bytes));
        answered.push(node.id);
      } catch {
        missing.push(node.id);
      }
    }),
  );
  return { bytes, answered, missing, readAt: Date.now() };
}
