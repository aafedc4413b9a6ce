import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { RedoubtError } from '@redoubt/errors';

export type CompressionCodec = 'brotli' | 'gzip' | 'deflate' | 'none';

export interface Compression {
  codec: CompressionCodec;
  level: number;
}

/**
 * Brotli at quality 1. Measured on this machine (bench:backup prints the table each run): on JSON-like
 * values it compresses several times faster than gzip/deflate at level 1 with a slightly better ratio,
 * and it passes incompressible values through at hundreds of MB/s where gzip crawls; higher brotli
 * qualities buy a few percent of size for a large loss of speed. A backup's cost is mostly the time it
 * reads a replica, so the fastest codec that still shrinks text wins.
 */
export const DEFAULT_COMPRESSION: Compression = { codec: 'brotli', level: 1 };

const LEVELS: Record<CompressionCodec, [number, number]> = {
  brotli: [0, 11],
  gzip: [1, 9],
  deflate: [1, 9],
  none: [0, 0],
};

/** `brotli:1`, `gzip:6`, `deflate:1`, `none` (BACKUP_COMPRESSION). */
export function parseCompression(text: string): Compression {
  const [codec, levelText] = text.trim().split(':');
  if (!codec || !(codec in LEVELS)) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      `BACKUP_COMPRESSION: unknown codec "${codec}" (brotli, gzip, deflate, none)`,
      {
        variable: 'BACKUP_COMPRESSION',
      },
    );
  }
  const [min, max] = LEVELS[codec as CompressionCodec];
  const level =
    levelText === undefined ? (codec === 'none' ? 0 : codec === 'brotli' ? 1 : 1) : Number(levelText);
  if (!Number.isInteger(level) || level < min || level > max) {
    throw new RedoubtError('CONFIG_INVALID', `BACKUP_COMPRESSION: ${codec} levels are ${min}..${max}`, {
      variable: 'BACKUP_COMPRESSION',
    });
  }
  return { codec: codec as CompressionCodec, level };
}

export function formatCompression(c: Compression): string {
  return c.codec === 'none' ? 'none' : `${c.codec}:${c.level}`;
}

/** Codec ids as stored in a segment header. */
export const CODEC_IDS: Record<CompressionCodec, number> = { none: 0, gzip: 1, deflate: 2, brotli: 3 };

export function codecOfId(id: number): CompressionCodec | undefined {
  return (Object.keys(CODEC_IDS) as CompressionCodec[]).find((c) => CODEC_IDS[c] === id);
}

/**
 * Output chunk of the (de)compressing streams. Node's default, 16 KiB, costs a callback per 16 KiB and
 * about 30 % more CPU than 1 MiB when a restore decompresses 1 GB (measured; see the README's benchmark).
 */
const STREAM_CHUNK_BYTES = 1024 * 1024;

/** A compressing stream, or undefined for `none`. */
export function createCompressor(c: Compression): Transform | undefined {
  switch (c.codec) {
    case 'brotli':
      return zlib.createBrotliCompress({
        chunkSize: STREAM_CHUNK_BYTES,
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: c.level,
          [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_GENERIC,
        },
      });
    case 'gzip':
      return zlib.createGzip({ level: c.level, chunkSize: STREAM_CHUNK_BYTES });
    case 'deflate':
      return zlib.createDeflateRaw({ level: c.level, chunkSize: STREAM_CHUNK_BYTES });
    case 'none':
      return undefined;
  }
}

export function createDecompressor(codec: CompressionCodec): Transform | undefined {
  switch (codec) {
    case 'brotli':
      return zlib.createBrotliDecompress({ chunkSize: STREAM_CHUNK_BYTES });
    case 'gzip':
      return zlib.createGunzip({ chunkSize: STREAM_CHUNK_BYTES });
    case 'deflate':
      return zlib.createInflateRaw({ chunkSize: STREAM_CHUNK_BYTES });
    case 'none':
      return undefined;
  }
}
