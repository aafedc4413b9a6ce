import { createHash } from 'node:crypto';
import type { Version } from '@redoubt/records';

/**
 * Deterministic job ids make enqueueing idempotent: BullMQ ignores an add whose id already exists, so
 * a retried request, two gateways or a read repair and a handoff for the same version make one job.
 * Keys are hashed because they may hold any UTF-8 (and BullMQ reserves ':' in ids).
 */
export function replicateJobId(key: string, version: Version): string {
  return `rep-${createHash('sha256').update(key).digest('hex').slice(0, 32)}-${version}`;
}

export function repairJobId(partition: number, round: string): string {
  return `repair-${partition}-${round}`;
}

/** One outstanding repair per partition: the deduplication id BullMQ keeps while it waits or runs. */
export function repairDeduplicationId(partition: number): string {
  return `repair-${partition}`;
}

export function moveJobId(partition: number, to: string, toEpoch: number): string {
  return `move-${partition}-${to}-e${toEpoch}`;
}

export function scrubJobId(node: string, round: string, partition?: number): string {
  return `scrub-${node}-${partition ?? 'all'}-${round}`;
}
