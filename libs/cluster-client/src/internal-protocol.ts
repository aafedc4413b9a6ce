import type { StoredRecord, Version } from '@redoubt/records';

/**
 * The internal wire protocol between data nodes and their clients (see docs/internal-protocol.md).
 * Shared by the data app (server side) and DataNodeClient, so both sides agree by construction.
 *
 * Bodies are MessagePack (`encodeMessage` / `decodeMessage` of @redoubt/records); partition streams are
 * length-prefixed frames (frames.ts). Errors of a whole request are the JSON error body of every redoubt
 * service (`{ error: { code, message, details } }`); errors of one op inside a batch are `{ error }` items.
 */
export const INTERNAL_PREFIX = '/internal/v1';
export const MSGPACK_CONTENT_TYPE = 'application/msgpack';
export const FRAMES_CONTENT_TYPE = 'application/x-redoubt-frames';

export const internalPaths = {
  batch: `${INTERNAL_PREFIX}/batch`,
  /** Upgraded to the framed batch channel (channel-frames.ts); the same ops and results as `batch`. */
  batchChannel: `${INTERNAL_PREFIX}/batch-channel`,
  partitions: `${INTERNAL_PREFIX}/partitions`,
  scrub: `${INTERNAL_PREFIX}/scrub`,
  testCorrupt: `${INTERNAL_PREFIX}/test/corrupt`,
  testDiskFault: `${INTERNAL_PREFIX}/test/disk-fault`,
  partition: (partition: number) => `${INTERNAL_PREFIX}/partitions/${partition}`,
  record: (partition: number, key: string) =>
    `${INTERNAL_PREFIX}/partitions/${partition}/records/${encodeURIComponent(key)}`,
  digest: (partition: number) => `${INTERNAL_PREFIX}/partitions/${partition}/digest`,
  stream: (partition: number) => `${INTERNAL_PREFIX}/partitions/${partition}/stream`,
} as const;

export type BatchOp =
  { op: 'put'; partition: number; record: StoredRecord } | { op: 'get'; partition: number; key: string };

export interface BatchRequest {
  ops: BatchOp[];
}

export interface WireError {
  code: string;
  message: string;
}

/** One result per op, in op order. */
export type BatchResult =
  { status: 'applied' | 'stale'; current: Version } | { record: StoredRecord | null } | { error: WireError };

export interface BatchResponse {
  results: BatchResult[];
}

export interface ScrubRequest {
  partition?: number;
}

export interface TestCorruptRequest {
  partition: number;
  key: string;
}

/** FOR TESTS: a disk fault to arm on a data node started with test hooks (libs/storage FaultyFileSystem). */
export interface TestDiskFaultRequest {
  op: 'write' | 'fsync' | 'unlink';
  code: 'EIO' | 'ENOSPC';
  after?: number;
  times?: number;
  short?: boolean;
}

/** Batches a server accepts at most (body bytes); clients stay well below. */
export const MAX_BATCH_BODY_BYTES = 64 * 1024 * 1024;
export const MAX_BATCH_OPS = 4096;
