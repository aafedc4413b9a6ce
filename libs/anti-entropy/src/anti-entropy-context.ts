import type { ClusterView } from './cluster-view.js';
import type { TransferThrottle } from './transfer-throttle.js';

/** Counts what moved, for metrics; called as data flows, not only at the end (a long repair shows progress). */
export interface TransferObserver {
  /** Records read from a replica in order to be copied to another, and their bytes. */
  moved?(records: number, bytes: number): void;
  /** Records written to a replica that lacked them (or held an older version). */
  repaired?(records: number): void;
  /** A record that failed its checksum was found (and will not be copied anywhere). */
  corruptFound?(node: string, partition: number, key: string): void;
}

/** Everything an anti-entropy operation needs besides its own arguments. */
export interface AntiEntropyContext {
  cluster: ClusterView;
  /** Shared bandwidth cap; no cap when omitted. */
  throttle?: TransferThrottle;
  /** Priority of the work for the throttle (lower first, like BullMQ). */
  priority?: number;
  /** Aborts the operation (worker shutting down, job cancelled). */
  signal?: AbortSignal;
  /** Per-request timeout for small calls (get, put, digest, drop). */
  requestTimeoutMs?: number;
  /** Per-call timeout for streams (one chunk of a partition); generous, since throttled chunks are slow. */
  streamTimeoutMs?: number;
  observer?: TransferObserver;
  /** Called between steps, e.g. to report BullMQ job progress. Must not throw. */
  progress?: (progress: Record<string, number | string | boolean>) => void | Promise<void>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 2_000;
export const DEFAULT_STREAM_TIMEOUT_MS = 120_000;

export function requestOptions(ctx: AntiEntropyContext): { timeoutMs: number; signal?: AbortSignal } {
  return ctx.signal
    ? { timeoutMs: ctx.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, signal: ctx.signal }
    : { timeoutMs: ctx.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS };
}

export function streamOptions(ctx: AntiEntropyContext): { timeoutMs: number; signal?: AbortSignal } {
  return ctx.signal
    ? { timeoutMs: ctx.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS, signal: ctx.signal }
    : { timeoutMs: ctx.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS };
}

export function throttleOptions(ctx: AntiEntropyContext): { priority?: number; signal?: AbortSignal } {
  const options: { priority?: number; signal?: AbortSignal } = {};
  if (ctx.priority !== undefined) options.priority = ctx.priority;
  if (ctx.signal) options.signal = ctx.signal;
  return options;
}
