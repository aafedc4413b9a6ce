import { RedoubtError } from '@redoubt/errors';
import { isIntact, type StoredRecord } from '@redoubt/records';
import { streamOptions, type AntiEntropyContext } from './anti-entropy-context.js';
import { planBucketBatches } from './bucket-batches.js';
import { digestReplicas } from './replica-digests.js';

export type CopyVerification =
  /** Both replicas have the same root digest. */
  | { verified: true; by: 'digest' }
  /** Digests differ (newer writes reached only the copy), but the copy holds every record of the source at the same or a newer version. */
  | { verified: true; by: 'containment'; bucketsChecked: number }
  | { verified: false; missing: number; example: string };

/**
 * Checks that `copy` holds everything `source` holds (each key at the same or a newer version). Equal
 * digests prove it cheaply; when they differ (writes under the new placement reach only the copy), the
 * differing buckets are streamed from both and compared record by record. Throws REPLICA_UNAVAILABLE
 * when either node does not answer: no verdict is better than a wrong one.
 */
export async function verifyCopy(
  ctx: AntiEntropyContext,
  partition: number,
  copy: string,
  source: string,
): Promise<CopyVerification> {
  const digests = await digestReplicas(ctx, partition, [copy, source]);
  if (digests.unreachable.length > 0) {
    throw new RedoubtError(
      'REPLICA_UNAVAILABLE',
      `cannot verify partition ${partition} on ${copy} against ${source}: ${digests.unreachable.map((u) => u.node).join(', ')} did not answer`,
      { partition, unreachable: digests.unreachable.map((u) => u.node) },
    );
  }
  const plan = planBucketBatches(digests.reachable, 8 << 20);
  if (plan.batches.length === 0) return { verified: true, by: 'digest' };

  let missing = 0;
  let example = '';
  let bucketsChecked = 0;
  for (const batch of plan.batches) {
    const options = batch.buckets ? { ...streamOptions(ctx), buckets: batch.buckets } : streamOptions(ctx);
    const held = new Map<string, string>();
    for await (const record of ctx.cluster.node(copy).streamOut(partition, options)) {
      if (isIntact(record)) held.set(record.key, record.version);
    }
    for await (const record of ctx.cluster
      .node(source)
      .streamOut(partition, options) as AsyncIterable<StoredRecord>) {
      if (!isIntact(record)) continue; // a corrupt record on the source is not something to preserve
      const version = held.get(record.key);
      if (version === undefined || version < record.version) {
        missing += 1;
        if (!example) example = record.key;
      }
    }
    bucketsChecked += batch.buckets?.length ?? digests.reachable[0]!.digest.buckets.length;
  }
  return missing === 0
    ? { verified: true, by: 'containment', bucketsChecked }
    : { verified: false, missing, example };
}
