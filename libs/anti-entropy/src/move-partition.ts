import { RedoubtError } from '@redoubt/errors';
import { streamOptions, type AntiEntropyContext } from './anti-entropy-context.js';
import { reconcilePartition, type ReconcileReport } from './reconcile-partition.js';
import { uniqueNodes } from './replica-digests.js';
import { verifyCopy, type CopyVerification } from './verify-copy.js';

export interface MoveRequest {
  partition: number;
  /** The old owner, dropped after the copy is verified; null when a replica is added, not moved. */
  from: string | null;
  /** The new owner. */
  to: string;
  /** Replicas that stay; sources too, so a move completes when the old owner is gone. */
  keep: readonly string[];
  /** The placement epoch that made the move; when given, `from` is dropped only under that epoch or newer. */
  toEpoch?: number;
}

export interface MoveReport {
  partition: number;
  from: string | null;
  to: string;
  copy: ReconcileReport;
  verification: CopyVerification[];
  dropped: boolean;
}

/**
 * Moves one replica of a partition: copy to the new owner, verify, and only then drop the old copy.
 *
 * The copy is a reconcile over {old owner, kept replicas, new owner}: the new owner starts empty, so every
 * bucket differs and is streamed once from the replicas that agree, and anything a kept replica lacked is
 * fixed on the way. Verification compares the new copy with the old owner (digest, or record by record
 * when live writes made the digests differ); a copy that misses anything fails the job with
 * DIGEST_MISMATCH and nothing is dropped. A retry starts over and converges, since copies merge by
 * version. When the old owner does not answer, the copy is still made (from the kept replicas) but the
 * job fails with REPLICA_UNAVAILABLE and is retried: a node we cannot reach is a node we cannot drop from.
 */
export async function movePartition(ctx: AntiEntropyContext, request: MoveRequest): Promise<MoveReport> {
  const { partition, from, to } = request;
  const sources = uniqueNodes([from, ...request.keep]).filter((node) => node !== to);
  if (sources.length === 0) {
    throw new RedoubtError(
      'INVALID_ARGUMENT',
      `move of partition ${partition} to ${to} has no source replica`,
      {
        partition,
      },
    );
  }
  const copy = await reconcilePartition(ctx, { partition, replicas: [...sources, to] });
  if (copy.unreachable.includes(to)) {
    throw new RedoubtError(
      'REPLICA_UNAVAILABLE',
      `new owner ${to} of partition ${partition} did not answer`,
      {
        partition,
        node: to,
      },
    );
  }
  await ctx.progress?.({ partition, step: 'copied' });

  const report: MoveReport = { partition, from, to, copy, verification: [], dropped: false };
  if (from === null) {
    // A new replica: it must hold everything every reachable kept replica holds.
    for (const keep of request.keep.filter((k) => k !== to && !copy.unreachable.includes(k))) {
      const verdict = await verifyCopy(ctx, partition, to, keep);
      report.verification.push(verdict);
      if (!verdict.verified) throw notVerified(partition, to, keep, verdict);
    }
    return report;
  }
  if (copy.unreachable.includes(from)) {
    throw new RedoubtError(
      'REPLICA_UNAVAILABLE',
      `partition ${partition} was copied to ${to} from the kept replicas, but the old owner ${from} did not answer: not dropped yet`,
      { partition, node: from },
    );
  }
  const verdict = await verifyCopy(ctx, partition, to, from);
  report.verification.push(verdict);
  if (!verdict.verified) throw notVerified(partition, to, from, verdict);
  await ctx.progress?.({ partition, step: 'verified' });

  // Drop only under a placement at least as new as the move's: an older view would still route writes
  // to `from` (retry later), and a newer epoch may have given the partition back to `from` (keep it).
  if (request.toEpoch !== undefined && ctx.cluster.epoch < request.toEpoch) {
    throw new RedoubtError(
      'PLACEMENT_STALE_EPOCH',
      `partition ${partition} is verified on ${to}, but this worker is on epoch ${ctx.cluster.epoch} < ${request.toEpoch}: not dropped from ${from} yet`,
      { partition, epoch: ctx.cluster.epoch, toEpoch: request.toEpoch },
    );
  }
  if (request.toEpoch !== undefined && ctx.cluster.replicasOf(partition).includes(from)) return report;
  await ctx.cluster.node(from).dropPartition(partition, streamOptions(ctx));
  report.dropped = true;
  return report;
}

function notVerified(
  partition: number,
  copy: string,
  source: string,
  verdict: Extract<CopyVerification, { verified: false }>,
): RedoubtError {
  return new RedoubtError(
    'DIGEST_MISMATCH',
    `partition ${partition} on ${copy} lacks ${verdict.missing} record(s) of ${source} (e.g. ${JSON.stringify(verdict.example)}); nothing dropped`,
    { partition, copy, source, missing: verdict.missing },
  );
}
