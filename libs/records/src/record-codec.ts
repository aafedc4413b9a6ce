import { Packr } from 'msgpackr';
import { RedoubtError } from '@redoubt/errors';

/**
 * The binary encoding of internal messages (records, batches, digests): MessagePack via msgpackr, which is
 * fast, keeps Uint8Array values as binary without base64, and is already what lmdb uses inside.
 * `useRecords: false` keeps every message self-describing, so any node can decode any message without
 * shared structure state.
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export function encodeMessage(value: unknown): Buffer {
  return packr.pack(value);
}

export function decodeMessage<T = unknown>(bytes: Uint8Array): T {
  try {
    return packr.unpack(bytes) as T;
  } catch (error) {
    throw new RedoubtError(
      'FRAME_INVALID',
      `could not decode internal message: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
}
