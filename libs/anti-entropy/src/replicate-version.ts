import { isRedoubtError, RedoubtError, toRedoubtError } from '@redoubt/errors';
import type { StoredRecord, Version } from '@redoubt/records';
import { requestOptions, throttleOptions, type AntiEntropyContext } from './anti-entropy-context.js';
import { recordBytes } from './record-size.js';
import { uniqueNodes } from './replica-digests.js';

export interface ReplicateRequest {
  key: string;
  partition: number;
  /** The version that must reach the targets (or a newer one). */
  version: Version;
  targets: readonly string[];
  /** Nodes known to hold the version, in the order to ask. */
  sources: readonly string[];
  /** Placement epoch the producer routed with; on another epoch the current replicas are the targets. */
  epoch?: number;
}

export interface ReplicateReport {
  key: string;
  partition: number;
  /** What was copied: the requested version, a newer one, or nothing (no replica holds the key). */
  outcome: 'copied' | 'copied-newer' | 'nothing-to-copy';
  version: Version | null;
  source: string | null;
  applied: string[];
  /** Targets that already held this version or a newer one (the put was a no-op). */
  stale: string[];
}

/**
 * Copies one record version to the replicas that missed it (hinted handoff, read repair).
 *
 * Idempotent by construction: the record is fetched from a source at run time, and a node's put never
 * replaces a newer version, so running it twice, late, or after a newer write is harmless. If a source
 * already holds a newer version, that one is copied instead: the replicas still converge, on the newer
 * value. Throws REPLICA_UNAVAILABLE (to be retried) when a target could not be written or when the
 * version can only be on a node that did not answer.
 */
export async function replicateVersion(
  ctx: AntiEntropyContext,
  request: ReplicateRequest,
): Promise<ReplicateReport> {
  const { key, partition } = request;
  const unreachable: string[] = [];
  let best: { record: StoredRecord; node: string } | undefined;

  const ask = async (nodes: readonly string[]) => {
    for (const node of nodes) {
      if (best && best.record.version >= request.version) return;
      try {
        const record = await ctx.cluster.node(node).get(partition, key, requestOptions(ctx));
        if (record && (!best || record.version > best.record.version)) best = { record, node };
      } catch (error) {
        // A corrupt copy is no source; anything else means we could not ask that node.
        if (isRedoubtError(error, 'RECORD_CORRUPT')) ctx.observer?.corruptFound?.(node, partition, key);
        else unreachable.push(node);
        ctx.signal?.throwIfAborted();
      }
    }
  };
  await ask(uniqueNodes(request.sources));
  // The listed sources may be behind (a read repair found the newest elsewhere): ask the other replicas.
  if (!best || best.record.version < request.version) {
    const others = ctx.cluster.replicasOf(partition).filter((n) => !request.sources.includes(n));
    await ask(others);
  }

  if (!best || best.record.version < request.version) {
    if (unreachable.length > 0) {
      throw new RedoubtError(
        'REPLICA_UNAVAILABLE',
        `version ${request.version} of ${JSON.stringify(key)} may only be on nodes that did not answer (${unreachable.join(', ')})`,
        { partition, unreachable },
      );
    }
    if (!best)
      return {
        key,
        partition,
        outcome: 'nothing-to-copy',
        version: null,
        source: null,
        applied: [],
        stale: [],
      };
  }
  const chosen = best;

  const current = ctx.cluster.epoch;
  const targets = uniqueNodes(
    request.epoch === undefined || request.epoch === current
      ? request.targets
      : ctx.cluster.replicasOf(partition),
  ).filter((node) => node !== chosen.node);

  const bytes = recordBytes(chosen.record);
  await ctx.throttle?.take(bytes, throttleOptions(ctx));
  ctx.observer?.moved?.(1, bytes);
  const settled = await Promise.allSettled(
    targets.map((node) => ctx.cluster.node(node).put(partition, chosen.record, requestOptions(ctx))),
  );
  const report: ReplicateReport = {
    key,
    partition,
    outcome: chosen.record.version > request.version ? 'copied-newer' : 'copied',
    version: chosen.record.version,
    source: chosen.node,
    applied: [],
    stale: [],
  };
  const failed: { node: string; message: string }[] = [];
  settled.forEach((outcome, index) => {
    const node = targets[index]!;
    if (outcome.status === 'rejected') failed.push({ node, message: toRedoubtError(outcome.reason).message });
    else if (outcome.value.status === 'applied') report.applied.push(node);
    else report.stale.push(node);
  });
  if (report.applied.length > 0) ctx.observer?.repaired?.(report.applied.length);
  if (failed.length > 0) {
    throw new RedoubtError(
      'REPLICA_UNAVAILABLE',
      `could not copy ${JSON.stringify(key)}@${chosen.record.version} to ${failed.map((f) => `${f.node} (${f.message})`).join(', ')}`,
      { partition, failed: failed.map((f) => f.node), applied: report.applied },
    );
  }
  return report;
}
