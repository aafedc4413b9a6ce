import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRedoubtError, RedoubtError } from '@redoubt/errors';
import {
  CHUNKED_HEADER_BYTES,
  createChunkSealer,
  decodeChunkedHeader,
  encodeChunkedHeader,
  openChunks,
  type SegmentBinding,
} from './segment-crypto.js';
import { DirectoryBackupStore } from './directory-store.js';
import { encodeRecordFrame } from './record-framing.js';
import { encodeHeader } from './segment-format.js';
import { readSegmentRecords } from './segment-reader.js';
import { writeSegments, type SegmentInfo } from './segment-writer.js';
import { asAsync, sampleRecords } from './testing/records.js';

const KEY = randomBytes(32);
const CHUNK = 4096;
const BINDING: SegmentBinding = { backupId: 'b1', partition: 3, segment: 0 };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redoubt-segcrypto-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const corrupt = (what: string) => new RedoubtError('BACKUP_CORRUPT', `segment x: ${what}`);

/** Seals `plain` into header + chunks, as the writer does. */
async function seal(plain: Buffer, binding = BINDING): Promise<Buffer> {
  const header = encodeChunkedHeader(0, CHUNK);
  const out: Buffer[] = [header.raw];
  // Uneven pieces: the sealer must cut chunks itself.
  const pieces = [];
  for (let at = 0; at < plain.length; at += 1000) pieces.push(plain.subarray(at, at + 1000));
  for await (const c of Readable.from(pieces).pipe(createChunkSealer(KEY, header, binding)))
    out.push(c as Buffer);
  return Buffer.concat(out);
}

/** Opens a sealed segment, returning what was released before any error, and the error. */
async function open_(sealed: Buffer, binding = BINDING, key = KEY) {
  const header = decodeChunkedHeader(sealed)!;
  const body = sealed.subarray(CHUNKED_HEADER_BYTES);
  // Delivered in odd-sized pieces, like a file read.
  const pieces = [];
  for (let at = 0; at < body.length; at += 777) pieces.push(body.subarray(at, at + 777));
  const released: Buffer[] = [];
  let error: unknown;
  try {
    for await (const chunk of openChunks(asAsync(pieces), body.length, key, header, binding, corrupt))
      released.push(chunk);
  } catch (e) {
    error = e;
  }
  return { released: Buffer.concat(released), error };
}

describe('chunked segment encryption (format 2)', () => {
  it('round-trips any length, including empty and an exact multiple of the chunk size', async () => {
    for (const length of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17]) {
      const plain = randomBytes(length);
      const sealed = await seal(plain);
      expect(sealed.length).toBe(CHUNKED_HEADER_BYTES + length + 16 * Math.max(1, Math.ceil(length / CHUNK)));
      const { released, error } = await open_(sealed);
      expect(error).toBeUndefined();
      expect(released.equals(plain)).toBe(true);
    }
  });

  it('refuses a flipped byte in a middle chunk and releases no byte of that chunk (nor after it)', async () => {
    const plain = randomBytes(3 * CHUNK + 100);
    const sealed = await seal(plain);
    const middle = CHUNKED_HEADER_BYTES + (CHUNK + 16) + 10; // inside chunk 1
    sealed[middle] = sealed[middle]! ^ 0x01;
    const { released, error } = await open_(sealed);
    expect(isRedoubtError(error, 'BACKUP_CORRUPT')).toBe(true);
    expect((error as Error).message).toMatch(/chunk 1 of 4 failed AES-GCM authentication/);
    // Exactly chunk 0 came out: nothing of the damaged chunk was passed on.
    expect(released.equals(plain.subarray(0, CHUNK))).toBe(true);
  });

  it('refuses a segment cut at a chunk boundary, or anywhere else', async () => {
    const plain = randomBytes(3 * CHUNK);
    const sealed = await seal(plain);
    for (const cut of [
      CHUNKED_HEADER_BYTES + 2 * (CHUNK + 16),
      sealed.length - 5,
      CHUNKED_HEADER_BYTES + 8,
    ]) {
      const { released, error } = await open_(sealed.subarray(0, cut));
      expect(isRedoubtError(error, 'BACKUP_CORRUPT'), `cut at ${cut}`).toBe(true);
      expect(released.length).toBeLessThan(plain.length);
    }
  });

  it('refuses chunks reordered, and a segment opened as another segment, backup or partition', async () => {
    const plain = randomBytes(2 * CHUNK + 5);
    const sealed = await seal(plain);
    const first = CHUNKED_HEADER_BYTES;
    const swapped = Buffer.concat([
      sealed.subarray(0, first),
      sealed.subarray(first + CHUNK + 16, first + 2 * (CHUNK + 16)),
      sealed.subarray(first, first + CHUNK + 16),
      sealed.subarray(first + 2 * (CHUNK + 16)),
    ]);
    expect(isRedoubtError((await open_(swapped)).error, 'BACKUP_CORRUPT')).toBe(true);
    for (const other of [
      { ...BINDING, segment: 1 },
      { ...BINDING, backupId: 'b2' },
      { ...BINDING, partition: 4 },
    ]) {
      const { released, error } = await open_(sealed, other);
      expect(isRedoubtError(error, 'BACKUP_CORRUPT')).toBe(true);
      expect(released.length).toBe(0);
    }
    expect(isRedoubtError((await open_(sealed, BINDING, randomBytes(32))).error, 'BACKUP_CORRUPT')).toBe(
      true,
    );
  });
});

describe('encrypted segments on disk', () => {
  async function backupSegments(name: string, binding: { backupId: string; partition: number }, count = 400) {
    const sub = join(dir, name);
    const written = await writeSegments(asAsync(sampleRecords(count, { valueBytes: 300 })), {
      store: new DirectoryBackupStore(dir),
      prefix: name,
      compression: { codec: 'none', level: 0 },
      key: KEY,
      binding,
      segmentBytes: 1 << 20,
    });
    return { sub, info: written.segments[0]! };
  }

  async function readRecords(file: string, info: SegmentInfo, binding: SegmentBinding) {
    let released = 0;
    let error: unknown;
    try {
      for await (const _ of readSegmentRecords(
        new DirectoryBackupStore(dir),
        relative(dir, file),
        { info, codec: 'none', encrypted: true, binding },
        KEY,
      ))
        released++;
    } catch (e) {
      error = e;
    }
    return { released, error };
  }

  it('refuses a segment swapped in from another backup or partition before releasing any record', async () => {
    const a = await backupSegments('a', { backupId: 'backup-a', partition: 1 });
    const b = await backupSegments('b', { backupId: 'backup-b', partition: 2 });
    const file = join(a.sub, a.info.name);
    await copyFile(join(b.sub, b.info.name), file); // b's segment now sits where a's was
    const { released, error } = await readRecords(file, b.info, {
      backupId: 'backup-a',
      partition: 1,
      segment: 0,
    });
    expect(isRedoubtError(error, 'BACKUP_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(file);
    expect(released).toBe(0);
    // In its own place it reads.
    const own = await readRecords(join(b.sub, b.info.name), b.info, {
      backupId: 'backup-b',
      partition: 2,
      segment: 0,
    });
    expect(own).toEqual({ released: 400, error: undefined });
  });

  it('refuses a truncated encrypted segment, naming it', async () => {
    const a = await backupSegments('t', { backupId: 'backup-t', partition: 0 }, 6000); // > 1 chunk
    const file = join(a.sub, a.info.name);
    expect(a.info.bytes).toBeGreaterThan(CHUNKED_HEADER_BYTES + 1024 * 1024 + 16);
    // Cut right after the first chunk: what is left is well-formed chunks, but the last is not sealed as last.
    const cut = CHUNKED_HEADER_BYTES + 1024 * 1024 + 16;
    await truncate(file, cut);
    const { released, error } = await readRecords(
      file,
      { ...a.info, bytes: cut },
      { backupId: 'backup-t', partition: 0, segment: 0 },
    );
    expect(isRedoubtError(error, 'BACKUP_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/chunk 0 of 1 failed AES-GCM/);
    expect(released).toBe(0);
  });

  it('writes the chunked format, never one GCM message per segment', async () => {
    const a = await backupSegments('f', { backupId: 'backup-f', partition: 0 });
    const handle = await open(join(a.sub, a.info.name), 'r');
    const head = Buffer.alloc(CHUNKED_HEADER_BYTES);
    await handle.read(head, 0, head.length, 0);
    await handle.close();
    expect(head.subarray(0, 8).toString('ascii')).toBe('RDBKSEG2');
    expect(decodeChunkedHeader(head)?.chunkBytes).toBe(1024 * 1024);
  });
});

describe('format 1 encrypted segments (migration only)', () => {
  it('are read for a format-1 manifest, and refused in a format-2 backup', async () => {
    // A segment as the format-1 writer made it: one GCM message, the header as additional data.
    const records = sampleRecords(50);
    const iv = randomBytes(12);
    const header = encodeHeader(0, iv);
    const cipher = createCipheriv('aes-256-gcm', KEY, iv).setAAD(header);
    const body = Buffer.concat(records.map(encodeRecordFrame));
    const bytes = Buffer.concat([header, cipher.update(body), cipher.final(), cipher.getAuthTag()]);
    const file = join(dir, 'seg-000000.rbk');
    await writeFile(file, bytes);
    const info: SegmentInfo = {
      name: 'seg-000000.rbk',
      records: records.length,
      rawBytes: body.length,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    const store = new DirectoryBackupStore(dir);
    let count = 0;
    for await (const _ of readSegmentRecords(store, info.name, { info, codec: 'none', encrypted: true }, KEY))
      count++;
    expect(count).toBe(50);
    const refused = await (async () => {
      for await (const _ of readSegmentRecords(
        store,
        info.name,
        { info, codec: 'none', encrypted: true, binding: { backupId: 'b', partition: 0, segment: 0 } },
        KEY,
      ));
    })().catch((e: unknown) => e);
    expect(isRedoubtError(refused, 'BACKUP_CORRUPT')).toBe(true);
    expect((refused as Error).message).toMatch(
      /unchunked \(format 1\) encrypted segment in a format 2 backup/,
    );
  });
});
