import type { Express, Response } from 'express';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import {
  FRAMES_CONTENT_TYPE,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameKind,
  INTERNAL_PREFIX,
  encodeFrame,
  fromWireError,
  type StreamEndSummary,
} from '@redoubt/cluster-client';
import { assertVersion } from '@redoubt/records';
import { BUCKETS, type PutItem, type RecordStore } from '@redoubt/storage';
import type { Logger } from '@redoubt/telemetry';
import type { DataMetrics } from './data-metrics.js';
import { partitionParam, sendMessage, wireError } from './message-http.js';

const STREAM_PATH = `${INTERNAL_PREFIX}/partitions/:partition/stream`;
/** Frames are written in chunks of about this size; at most one chunk is buffered per stream. */
const CHUNK_BYTES = 64 * 1024;
/** Stream-in: records merged per write transaction. */
const MERGE_RECORDS = 512;
const MERGE_BYTES = 4 * 1024 * 1024;

/**
 * GET  .../stream?buckets=1,2&since=V  -> frames: one per record, then an end frame (or an error frame).
 * POST .../stream  <- frames            -> { applied, stale, rejected, bytes } once all are durable.
 *
 * Both directions are back-pressured and bounded in memory: out, the store is read page by page and the
 * next page waits until the socket drained; in, the request body is read only after the previous group
 * of records was committed.
 */
export function addStreamRoutes(
  app: Express,
  store: RecordStore,
  metrics: DataMetrics,
  logger: Logger,
): void {
  app.get(STREAM_PATH, async (req, res) => {
    const partition = partitionParam(req.params.partition, store.partitions);
    const buckets = parseBuckets(req.query.buckets);
    const since = req.query.since === undefined ? undefined : assertVersion(req.query.since);

    res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE, 'cache-control': 'no-store' });
    let gone = false;
    res.once('close', () => (gone = true));
    const summary: StreamEndSummary = { records: 0, bytes: 0, corrupt: 0 };
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    try {
      for await (const item of store.scan(partition, { buckets, since })) {
        if (gone) return;
        if (item.record === undefined) {
          summary.corrupt++;
          continue;
        }
        const frame = encodeFrame(FrameKind.record, item.record);
        summary.records++;
        summary.bytes += frame.length - FRAME_HEADER_BYTES;
        chunk.push(frame);
        chunkBytes += frame.length;
        if (chunkBytes >= CHUNK_BYTES) {
          const flushed = res.write(Buffer.concat(chunk, chunkBytes));
          chunk = [];
          chunkBytes = 0;
          if (!flushed && !(await drained(res))) return;
        }
      }
      metrics.streamed.inc({ direction: 'out' }, summary.records);
      if (summary.corrupt > 0)
        logger.warn({ partition, corrupt: summary.corrupt }, 'stream out skipped corrupt records');
      chunk.push(encodeFrame(FrameKind.end, summary));
      res.end(Buffer.concat(chunk));
    } catch (error) {
      // Headers are gone: the error travels as a frame, and the receiver fails the stream.
      const e = toRedoubtError(error);
      metrics.errors.inc({ code: e.code });
      logger.error({ err: error, partition }, 'stream out failed');
      if (!gone) res.end(encodeFrame(FrameKind.error, wireError(e)));
    }
  });

  app.post(STREAM_PATH, async (req, res) => {
    const partition = partitionParam(req.params.partition, store.partitions);
    const decoder = new FrameDecoder();
    const result = { applied: 0, stale: 0, rejected: 0, bytes: 0 };
    const samples: { key: string; code: string }[] = [];
    let group: PutItem[] = [];
    let groupBytes = 0;
    let ended = false;
    let failure: RedoubtError | undefined;

    const merge = async () => {
      if (group.length === 0) return;
      const items = group;
      group = [];
      groupBytes = 0;
      const outcomes = await store.putMany(items);
      outcomes.forEach((outcome, i) => {
        if (outcome instanceof RedoubtError) {
          result.rejected++;
          metrics.errors.inc({ code: outcome.code });
          if (samples.length < 10) samples.push({ key: String(items[i]!.record?.key), code: outcome.code });
        } else {
          result[outcome.status]++;
        }
      });
      metrics.streamed.inc({ direction: 'in' }, items.length);
    };

    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        if (failure) continue; // drain the rest of the body so the connection stays usable, then answer
        try {
          for (const frame of decoder.push(chunk)) {
            if (ended) throw new RedoubtError('FRAME_INVALID', 'frames after the end frame');
            if (frame.kind === FrameKind.record) {
              group.push({ partition, record: frame.record });
              groupBytes += frame.bytes;
              result.bytes += frame.bytes;
            } else if (frame.kind === FrameKind.end) {
              ended = true;
            } else {
              throw fromWireError(frame.error, 'the sender');
            }
          }
          if (group.length >= MERGE_RECORDS || groupBytes >= MERGE_BYTES) await merge();
        } catch (error) {
          failure = toRedoubtError(error);
        }
      }
    } catch (error) {
      // The sender went away mid-body (reset, abort): nothing more will come.
      failure ??= new RedoubtError('BODY_INVALID', `the stream was cut off: ${(error as Error).message}`);
    }

    if (!failure) {
      try {
        decoder.finish();
        if (!ended) throw new RedoubtError('FRAME_INVALID', 'the stream ended without its end frame');
        await merge();
      } catch (error) {
        failure = toRedoubtError(error);
      }
    }
    if (samples.length > 0)
      logger.warn({ partition, rejected: result.rejected, samples }, 'stream in rejected records');
    // Records merged before a failure stay merged: merging is idempotent, the sender simply retries.
    if (failure) throw failure;
    sendMessage(res, result);
  });
}

function parseBuckets(value: unknown): number[] | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d{1,3}(,\d{1,3})*$/.test(value)) {
    throw new RedoubtError('INVALID_ARGUMENT', 'buckets must be a comma-separated list of bucket numbers');
  }
  const buckets = value.split(',').map(Number);
  if (buckets.some((b) => b >= BUCKETS)) {
    throw new RedoubtError('INVALID_ARGUMENT', `buckets are 0..${BUCKETS - 1}`);
  }
  return buckets;
}

/** Resolves true when the socket drained, false when the client went away first. */
function drained(res: Response): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
