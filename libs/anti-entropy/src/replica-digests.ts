import { toRedoubtError, type RedoubtError } from '@redoubt/errors';
import { requestOptions, type AntiEntropyContext } from './anti-entropy-context.js';
import type { ReplicaDigest } from './bucket-batches.js';

export interface DigestRound {
  reachable: ReplicaDigest[];
  unreachable: { node: string; error: RedoubtError }[];
}

/** Digests of one partition on several nodes at once; a node that fails is reported, not thrown. */
export async function digestReplicas(
  ctx: AntiEntropyContext,
  partition: number,
  nodes: readonly string[],
): Promise<DigestRound> {
  const settled = await Promise.allSettled(
    nodes.map((node) => ctx.cluster.node(node).digest(partition, requestOptions(ctx))),
  );
  const round: DigestRound = { reachable: [], unreachable: [] };
  settled.forEach((outcome, index) => {
    const node = nodes[index]!;
    if (outcome.status === 'fulfilled') round.reachable.push({ node, digest: outcome.value });
    else round.unreachable.push({ node, error: toRedoubtError(outcome.reason) });
  });
  ctx.signal?.throwIfAborted();
  return round;
}

/** Node ids in first-seen order without repeats. */
export function uniqueNodes(nodes: Iterable<string | null | undefined>): string[] {
  const seen = new Set<string>();
  for (const node of nodes) if (node) seen.add(node);
  return [...seen];
}
