import { isRedoubtError, RedoubtError } from '@redoubt/errors';
import type { StoredRecord } from '@redoubt/records';
import {
  requestOptions,
  streamOptions,
  throttleOptions,
  type AntiEntropyContext,
} from './anti-entropy-context.js';
import { recordBytes } from './record-size.js';

export interface ScrubRequest {
  node: string;
  /** One partition; every partition the node holds when omitted. */
  partition?: number;
}

export interface CorruptRecordOutcome {
  partition: number;
  key: string;
  /** replaced: an intact copy from `source` now stands in its place; unrecoverable: no replica holds an intact copy. */
  outcome: 'replaced' | 'unrecoverable' | 'not-replaced';
  source?: string;
  version?: string;
}

export interface ScrubReport {
  node: string;
  partitions: number;
  checked: number;
  corrupt: CorruptRecordOutcome[];
}

/**
 * Re-reads every record of a node (partition by partition, so a big node reports progress and can be
 * stopped between partitions) and checks each checksum on the node itself. A corrupt record is replaced by
 * the newest intact copy on another replica of its partition, then read back to confirm. A record no
 * replica has intact is reported as unrecoverable (and alerted on by the caller); when a replica that might
 * have had it did not answer, the job throws REPLICA_UNAVAILABLE so it is retried rather than giving up.
 */
export async function scrubNode(ctx: AntiEntropyContext, request: ScrubRequest): Promise<ScrubReport> {
  const target = ctx.cluster.node(request.node);
  const partitions =
    request.partition !== undefined
      ? [request.partition]
      : (await target.listPartitions(requestOptions(ctx))).map((p) => p.partition).sort((a, b) => a - b);
  const report: ScrubReport = { node: request.node, partitions: partitions.length, checked: 0, corrupt: [] };
  const unanswered = new Set<string>();

  for (const partition of partitions) {
    ctx.signal?.throwIfAborted();
    const result = await target.scrub({ partition, ...streamOptions(ctx) });
    report.checked += result.checked;
    for (const found of result.corrupt) {
      ctx.observer?.corruptFound?.(request.node, found.partition, found.key);
      report.corrupt.push(await replaceCorrupt(ctx, request.node, found.partition, found.key, unanswered));
    }
    await ctx.progress?.({
      node: request.node,
      partition,
      checked: report.checked,
      corrupt: report.corrupt.length,
    });
  }
  const missed = report.corrupt.filter((c) => c.outcome !== 'replaced');
  if (missed.length > 0 && unanswered.size > 0) {
    throw new RedoubtError(
      'REPLICA_UNAVAILABLE',
      `${missed.length} corrupt record(s) on ${request.node} could not be replaced yet: ${[...unanswered].join(', ')} did not answer`,
      { node: request.node, unanswered: [...unanswered], corrupt: report.corrupt.length },
    );
  }
  return report;
}

async function replaceCorrupt(
  ctx: AntiEntropyContext,
  node: string,
  partition: number,
  key: string,
  unanswered: Set<string>,
): Promise<CorruptRecordOutcome> {
  const others = ctx.cluster.replicasOf(partition).filter((n) => n !== node);
  let best: { record: StoredRecord; node: string } | undefined;
  for (const other of others) {
    try {
      const record = await ctx.cluster.node(other).get(partition, key, requestOptions(ctx));
      if (record && (!best || record.version > best.record.version)) best = { record, node: other };
    } catch (error) {
      if (isRedoubtError(error, 'RECORD_CORRUPT')) ctx.observer?.corruptFound?.(other, partition, key);
      else unanswered.add(other);
    }
  }
  if (!best) return { partition, key, outcome: 'unrecoverable' };
  const { record, node: source } = best;
  const bytes = recordBytes(record);
  await ctx.throttle?.take(bytes, throttleOptions(ctx));
  ctx.observer?.moved?.(1, bytes);
  await ctx.cluster.node(node).put(partition, record, requestOptions(ctx));
  // Read it back: the node verifies the checksum on every read, so an answer means an intact record.
  try {
    const after = await ctx.cluster.node(node).get(partition, key, requestOptions(ctx));
    if (after && after.version >= record.version) {
      ctx.observer?.repaired?.(1);
      return { partition, key, outcome: 'replaced', source, version: after.version };
    }
  } catch (error) {
    if (!isRedoubtError(error, 'RECORD_CORRUPT')) throw error;
  }
  return { partition, key, outcome: 'not-replaced', source, version: record.version };
}
