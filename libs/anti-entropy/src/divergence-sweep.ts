import type { AntiEntropyContext } from './anti-entropy-context.js';
import { digestReplicas } from './replica-digests.js';

/** How much a divergent partition is at risk, which decides the priority of its repair. */
export type DivergenceRisk = 'below-write-quorum' | 'below-read-quorum' | 'diverged';

export interface DivergentPartition {
  partition: number;
  replicas: string[];
  reachable: string[];
  /** Size of the largest set of reachable replicas that agree (same root digest). */
  inSync: number;
  risk: DivergenceRisk;
}

export interface SweepOptions {
  /** Partitions to check; all of the cluster's when omitted. */
  partitions?: Iterable<number>;
  /** Partitions checked at once. Default 8. */
  concurrency?: number;
  writeQuorum: number;
  readQuorum: number;
  /** After this many failed digests in a row a node counts as down for the rest of the sweep. Default 3. */
  nodeFailureLimit?: number;
  /** Called for each divergent partition as soon as it is found (enqueue its repair). */
  onDivergent?: (found: DivergentPartition) => void | Promise<void>;
}

export interface SweepReport {
  checked: number;
  divergent: number;
  /** Nodes that stopped answering during the sweep and were skipped. */
  downNodes: string[];
}

/**
 * The cheap half of anti-entropy: compares the root digests of every partition's replicas and reports the
 * partitions whose roots differ. Only those need a repair (which then compares bucket by bucket). A node
 * that keeps failing is skipped for the rest of the sweep, so one dead or hung node costs a few timeouts,
 * not one per partition. A partition with fewer than two reachable replicas cannot be compared and is
 * skipped: the sweep after the node returns finds it.
 */
export async function sweepPartitions(ctx: AntiEntropyContext, options: SweepOptions): Promise<SweepReport> {
  const partitions = [...(options.partitions ?? range(ctx.cluster.partitions))];
  const failureLimit = options.nodeFailureLimit ?? 3;
  const failures = new Map<string, number>();
  const down = new Set<string>();
  const report: SweepReport = { checked: 0, divergent: 0, downNodes: [] };
  let next = 0;

  const check = async (partition: number) => {
    const replicas = ctx.cluster.replicasOf(partition);
    const asked = replicas.filter((node) => !down.has(node));
    const round = await digestReplicas(ctx, partition, asked);
    for (const { node } of round.reachable) failures.set(node, 0);
    for (const { node } of round.unreachable) {
      const count = (failures.get(node) ?? 0) + 1;
      failures.set(node, count);
      if (count >= failureLimit) down.add(node);
    }
    report.checked += 1;
    if (round.reachable.length < 2) return;
    const byRoot = new Map<string, number>();
    for (const { digest } of round.reachable) byRoot.set(digest.root, (byRoot.get(digest.root) ?? 0) + 1);
    if (byRoot.size === 1) return;
    const inSync = Math.max(...byRoot.values());
    const risk: DivergenceRisk =
      inSync < options.writeQuorum
        ? 'below-write-quorum'
        : inSync < options.readQuorum
          ? 'below-read-quorum'
          : 'diverged';
    report.divergent += 1;
    await options.onDivergent?.({
      partition,
      replicas,
      reachable: round.reachable.map((r) => r.node),
      inSync,
      risk,
    });
  };

  const lanes = Array.from({ length: Math.max(1, options.concurrency ?? 8) }, async () => {
    while (next < partitions.length) {
      ctx.signal?.throwIfAborted();
      const partition = partitions[next++]!;
      await check(partition);
    }
  });
  await Promise.all(lanes);
  report.downNodes = [...down];
  return report;
}

function* range(n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield i;
}
