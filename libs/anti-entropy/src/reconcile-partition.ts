import { RedoubtError } from '@redoubt/errors';
import { isIntact, type StoredRecord } from '@redoubt/records';
import { streamOptions, throttleOptions, type AntiEntropyContext } from './anti-entropy-context.js';
import { planBucketBatches, type BucketBatch, type ReplicaDigest } from './bucket-batches.js';
import { recordBytes } from './record-size.js';
import { digestReplicas, uniqueNodes } from './replica-digests.js';
import { planMerge, type GroupRecords } from './version-merge.js';

export interface ReconcileRequest {
  partition: number;
  /** Replica set to make equal; the placement's replicas of the partition when omitted. */
  replicas?: readonly string[];
  /** Digest rounds at most (a round re-checks after pushing; live writes can need a second one). Default 3. */
  maxRounds?: number;
  /** Upper bound of one batch in memory, per group streamed. Default 8 MiB. */
  maxBatchBytes?: number;
}

export interface ReconcileReport {
  partition: number;
  replicas: string[];
  /** Replicas that could not be reached (left out; the next sweep covers them once they are back). */
  unreachable: string[];
  rounds: number;
  /** Every reachable replica had the same root digest at the end. */
  converged: boolean;
  /** Buckets that differed in the first round, out of `buckets`. */
  differingBuckets: number;
  buckets: number;
  /** Records and bytes streamed out of replicas. */
  recordsStreamed: number;
  bytesStreamed: number;
  /** Records written, per replica that lacked them. */
  pushed: Record<string, number>;
  corruptSkipped: number;
}

interface FetchedBatch {
  batch: BucketBatch;
  groups: GroupRecords[];
}

/**
 * Makes the replicas of one partition equal: every replica ends with the newest version of every record
 * any of them holds (tombstones included), as of when its bucket was streamed.
 *
 * 1. Digest every replica (cheap: one hash per bucket); equal roots mean nothing to do.
 * 2. Keep only the buckets whose digests differ, grouped by which replicas agree (see planBucketBatches);
 *    stream those buckets from one replica per group.
 * 3. Per key, the newest version wins; push each group only what it lacks. Nodes merge by version on the
 *    way in (never overwriting newer), so a push that races a client write cannot lose that write, and
 *    running this twice, or being killed half-way and run again, ends the same.
 * 4. Digest again; live writes can leave differences, so repeat up to `maxRounds`.
 *
 * Reading batch i+1 overlaps pushing batch i, so sources and targets are busy at once.
 */
export async function reconcilePartition(
  ctx: AntiEntropyContext,
  request: ReconcileRequest,
): Promise<ReconcileReport> {
  const partition = request.partition;
  const replicas = uniqueNodes(request.replicas ?? ctx.cluster.replicasOf(partition));
  const maxRounds = request.maxRounds ?? 3;
  const maxBatchBytes = request.maxBatchBytes ?? batchBytesFor(ctx);
  const report: ReconcileReport = {
    partition,
    replicas,
    unreachable: [],
    rounds: 0,
    converged: false,
    differingBuckets: 0,
    buckets: 0,
    recordsStreamed: 0,
    bytesStreamed: 0,
    pushed: Object.fromEntries(replicas.map((r) => [r, 0])),
    corruptSkipped: 0,
  };

  for (let round = 1; round <= maxRounds; round++) {
    const digests = await digestReplicas(ctx, partition, replicas);
    report.rounds = round;
    report.unreachable = digests.unreachable.map((u) => u.node);
    if (digests.reachable.length < 2) {
      if (round === 1 && replicas.length >= 2) {
        throw new RedoubtError(
          'REPLICA_UNAVAILABLE',
          `partition ${partition}: fewer than two of its replicas answered (${report.unreachable.join(', ')} did not)`,
          { partition, unreachable: report.unreachable },
        );
      }
      report.converged = digests.reachable.length === replicas.length;
      break;
    }
    const plan = planBucketBatches(digests.reachable, maxBatchBytes);
    if (round === 1) {
      report.buckets = digests.reachable[0]!.digest.buckets.length;
      report.differingBuckets = plan.batches.some((b) => b.buckets === undefined)
        ? report.buckets
        : plan.differing.length;
    }
    if (plan.batches.length === 0) {
      report.converged = true;
      break;
    }
    const wholePartition = plan.batches.some((b) => b.buckets === undefined);
    const rebuild = refillPlanOf(digests.reachable, wholePartition ? undefined : plan.differing);
    if (rebuild) await refill(ctx, partition, rebuild, report);
    else await runBatches(ctx, partition, pickRepresentatives(plan.batches, partition), report);
    await ctx.progress?.({ partition, round, pushed: sum(report.pushed), streamed: report.recordsStreamed });
  }
  return report;
}

/**
 * The rebuild of an empty or nearly empty replica (wiped, replaced, new; perhaps already taking new writes)
 * while the others agree: almost every record of the others is missing there. Then the differing buckets
 * are piped straight from one agreeing replica into each lagging one, without holding batches in memory:
 * the fastest way to rebuild a node. Stream-in merges by version, so a record the lagging replica holds
 * newer is kept; what it holds that the others lack is found by the next round's digests and merged then.
 */
function refillPlanOf(
  replicas: readonly ReplicaDigest[],
  buckets: number[] | undefined,
): { source: string; targets: string[]; buckets: number[] | undefined } | undefined {
  const largest = replicas.reduce((a, b) => (b.digest.records > a.digest.records ? b : a));
  const full = replicas.filter((r) => r.digest.root === largest.digest.root);
  const lagging = replicas.filter((r) => r.digest.root !== largest.digest.root);
  if (largest.digest.records === 0 || lagging.length === 0) return undefined;
  if (lagging.some((r) => r.digest.records * 10 > largest.digest.records)) return undefined;
  // Spread the reading over the agreeing replicas (by partition), so one node does not serve every rebuild.
  const source = full[largest.digest.partition % full.length]!.node;
  return { source, targets: lagging.map((r) => r.node), buckets };
}

async function refill(
  ctx: AntiEntropyContext,
  partition: number,
  plan: { source: string; targets: string[]; buckets: number[] | undefined },
  report: ReconcileReport,
): Promise<void> {
  await Promise.all(
    plan.targets.map(async (target) => {
      const records = meteredStream(ctx, plan.source, partition, plan.buckets, report);
      const result = await ctx.cluster.node(target).streamIn(partition, records, streamOptions(ctx));
      report.pushed[target] = (report.pushed[target] ?? 0) + result.applied;
      ctx.observer?.repaired?.(result.applied);
    }),
  );
}

/** A replica's stream of some buckets, counted, throttled and checked record by record on the way. */
async function* meteredStream(
  ctx: AntiEntropyContext,
  source: string,
  partition: number,
  buckets: number[] | undefined,
  report: ReconcileReport,
): AsyncGenerator<StoredRecord> {
  const options = buckets ? { ...streamOptions(ctx), buckets } : streamOptions(ctx);
  let pendingBytes = 0;
  let pendingRecords = 0;
  const settle = async () => {
    ctx.observer?.moved?.(pendingRecords, pendingBytes);
    await ctx.throttle?.take(pendingBytes, throttleOptions(ctx));
    pendingBytes = 0;
    pendingRecords = 0;
  };
  for await (const record of ctx.cluster.node(source).streamOut(partition, options)) {
    const bytes = recordBytes(record);
    report.recordsStreamed += 1;
    report.bytesStreamed += bytes;
    pendingBytes += bytes;
    pendingRecords += 1;
    if (!isIntact(record)) {
      report.corruptSkipped += 1;
      ctx.observer?.corruptFound?.(source, partition, record.key);
      continue;
    }
    yield record;
    if (pendingBytes >= 64 * 1024) await settle();
  }
  if (pendingRecords > 0) await settle();
}

/** Rotates which member of each group is streamed, by partition, to spread reads over agreeing replicas. */
function pickRepresentatives(batches: readonly BucketBatch[], partition: number): BucketBatch[] {
  return batches.map((batch) => ({
    ...batch,
    groups: batch.groups.map((group) => {
      const at = partition % group.members.length;
      return { members: [...group.members.slice(at), ...group.members.slice(0, at)] };
    }),
  }));
}

async function runBatches(
  ctx: AntiEntropyContext,
  partition: number,
  batches: readonly BucketBatch[],
  report: ReconcileReport,
): Promise<void> {
  let next: Promise<FetchedBatch> | undefined = fetchBatch(ctx, partition, batches[0]!, report);
  for (let index = 0; index < batches.length; index++) {
    const current: Promise<FetchedBatch> = next!;
    next = index + 1 < batches.length ? fetchBatch(ctx, partition, batches[index + 1]!, report) : undefined;
    // If pushing fails, the prefetch must not become an unhandled rejection.
    next?.catch(() => undefined);
    const fetched = await current;
    await pushBatch(ctx, partition, fetched, report);
  }
}

async function fetchBatch(
  ctx: AntiEntropyContext,
  partition: number,
  batch: BucketBatch,
  report: ReconcileReport,
): Promise<FetchedBatch> {
  const groups = await Promise.all(
    batch.groups.map(async (group): Promise<GroupRecords> => {
      const records: StoredRecord[] = [];
      for await (const record of meteredStream(ctx, group.members[0]!, partition, batch.buckets, report)) {
        records.push(record);
      }
      return { members: group.members, records };
    }),
  );
  return { batch, groups };
}

async function pushBatch(
  ctx: AntiEntropyContext,
  partition: number,
  fetched: FetchedBatch,
  report: ReconcileReport,
): Promise<void> {
  const plan = planMerge(fetched.groups);
  report.corruptSkipped += plan.corrupt.length;
  for (const { node, key } of plan.corrupt) ctx.observer?.corruptFound?.(node, partition, key);
  const writes: Promise<void>[] = [];
  fetched.groups.forEach((group, index) => {
    const records = plan.pushes[index]!;
    if (records.length === 0) return;
    for (const member of group.members) {
      writes.push(
        ctx.cluster
          .node(member)
          .streamIn(partition, records, streamOptions(ctx))
          .then((result) => {
            report.pushed[member] = (report.pushed[member] ?? 0) + result.applied;
            ctx.observer?.repaired?.(result.applied);
          }),
      );
    }
  });
  const settled = await Promise.allSettled(writes);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Batches sized to about two seconds of the bandwidth cap, between 1 and 8 MiB. */
function batchBytesFor(ctx: AntiEntropyContext): number {
  const rate = ctx.throttle && !ctx.throttle.unlimited ? ctx.throttle.bytesPerSecond : Infinity;
  return Math.max(1 << 20, Math.min(8 << 20, Math.floor(rate * 2)));
}

function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0);
}
