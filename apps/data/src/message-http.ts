import express, { type Request, type Response } from 'express';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import { MAX_BATCH_BODY_BYTES, MSGPACK_CONTENT_TYPE, type WireError } from '@redoubt/cluster-client';
import { decodeMessage, encodeMessage } from '@redoubt/records';

/** Raw request bodies (MessagePack) up to the batch limit, as one Buffer. */
export const rawBody = express.raw({ type: () => true, limit: MAX_BATCH_BODY_BYTES });

/** Answers a MessagePack body, bypassing express's send (no ETag, no freshness checks on the hot path). */
export function sendMessage(res: Response, value: unknown, status = 200): void {
  const body = encodeMessage(value);
  res.writeHead(status, {
    'content-type': MSGPACK_CONTENT_TYPE,
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** The decoded MessagePack body; BODY_INVALID when there is none, FRAME_INVALID when it does not decode. */
export function messageBody<T>(req: Request): T {
  return decodeMessageBody<T>(req.body, req.headers['content-type']);
}

/** A MessagePack body, or JSON when the content type says so (curl, debugging). */
export function decodeMessageBody<T>(body: unknown, contentType: string | undefined): T {
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw new RedoubtError('BODY_INVALID', `a ${MSGPACK_CONTENT_TYPE} body is required`);
  }
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch {
      throw new RedoubtError('BODY_INVALID', 'the JSON body does not parse');
    }
  }
  return decodeMessage<T>(body);
}

/** A partition path or query parameter: a non-negative integer below the partition count. */
export function partitionParam(value: unknown, partitions: number): number {
  const partition = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(partition) || partition >= partitions) {
    throw new RedoubtError('INVALID_ARGUMENT', `partition must be an integer in 0..${partitions - 1}`, {
      partitions,
    });
  }
  return partition;
}

export function wireError(error: unknown): WireError {
  const e = toRedoubtError(error);
  return { code: e.code, message: e.message };
}
