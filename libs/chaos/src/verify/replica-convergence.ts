import { replicasOf, type PlacementMatrix } from '@redoubt/placement';
import type { DataNodeApi } from '@redoubt/cluster-client';

export interface PartitionDivergence {
  partition: number;
  /** Root digest per replica id, or the error that replica answered. */
  replicas: Record<string, string>;
}

export interface ConvergenceResult {
  converged: boolean;
  partitions: number;
  /** Partitions whose R replicas all answered with the same root digest. */
  equal: number;
  divergent: PartitionDivergence[];
  rounds: number;
  elapsedMs: number;
}

export interface ConvergenceOptions {
  placement: PlacementMatrix;
  nodes: ReadonlyMap<string, DataNodeApi>;
  /** Keep polling the divergent partitions (repair, hinted handoff and read repair at work) this long. */
  withinMs: number;
  pollMs?: number;
  concurrency?: number;
  signal?: AbortSignal;
}

async function digestRow(
  placement: PlacementMatrix,
  nodes: ReadonlyMap<string, DataNodeApi>,
  partition: number,
): Promise<PartitionDivergence | undefined> {
  const ids = replicasOf(placement, partition);
  const roots: Record<string, string> = {};
  await Promise.all(
    ids.map(async (id) => {
      const node = nodes.get(id);
      if (!node) {
        roots[id] = 'error: no client for this node';
        return;
      }
      try {
        roots[id] = (await node.digest(partition)).root;
      } catch (error) {
        roots[id] = `error: ${(error as { code?: string }).code ?? (error as Error).message}`;
      }
    }),
  );
  const values = Object.values(roots);
  const equal =
    values.length === placement.replicas && values.every((v) => v === values[0] && !v.startsWith('error'));
  return equal ? undefined : { partition, replicas: roots };
}

/**
 * Every partition back to R equal replicas: asks each replica of each partition (by the placement) for its
 * digest and compares the roots. Partitions that differ are asked again until `withinMs` has passed, since
 * repair catches up after healing; converged when every row has R answering replicas with one root.
 */
export async function checkReplicaConvergence(options: ConvergenceOptions): Promise<ConvergenceResult> {
  const { placement, nodes } = options;
  const started = Date.now();
  let pending = Array.from({ length: placement.partitions }, (_, p) => p);
  let divergent: PartitionDivergence[] = [];
  let rounds = 0;
  while (!options.signal?.aborted) {
    rounds += 1;
    divergent = [];
    let next = 0;
    const worker = async () => {
      while (next < pending.length) {
        const partition = pending[next++]!;
        const row = await digestRow(placement, nodes, partition);
        if (row) divergent.push(row);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, pending.length) }, worker));
    if (divergent.length === 0 || Date.now() - started >= options.withinMs) break;
    pending = divergent.map((d) => d.partition).sort((a, b) => a - b);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
  divergent.sort((a, b) => a.partition - b.partition);
  return {
    converged: divergent.length === 0,
    partitions: placement.partitions,
    equal: placement.partitions - divergent.length,
    divergent,
    rounds,
    elapsedMs: Date.now() - started,
  };
}
