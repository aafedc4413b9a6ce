import { mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRedoubtError } from '@redoubt/errors';
import type { CompressionCodec } from './compression.js';
import { DirectoryBackupStore } from './directory-store.js';
import { checkSegmentHash, readSegmentRecords } from './segment-reader.js';
import { writeSegments, type SegmentInfo } from './segment-writer.js';
import { asAsync, collect, sampleRecords } from './testing/records.js';

const KEY = Buffer.alloc(32, 0x5a);
/** The backup the segments of these tests belong to (bound into encrypted chunks). */
const BINDING = { backupId: 'b1', partition: 0 };
const bindingOf = (info: SegmentInfo) => ({ ...BINDING, segment: Number(info.name.slice(4, 10)) });
let dir: string;
let store: DirectoryBackupStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redoubt-segments-'));
  store = new DirectoryBackupStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function flipByte(file: string, offset: number): Promise<void> {
  const handle = await open(file, 'r+');
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, offset);
  byte[0] = byte[0]! ^ 0x01;
  await handle.write(byte, 0, 1, offset);
  await handle.close();
}

async function readAll(
  info: SegmentInfo,
  codec: CompressionCodec,
  key?: Buffer,
  encrypted = key !== undefined,
) {
  return collect(
    readSegmentRecords(store, info.name, { info, codec, encrypted, binding: bindingOf(info) }, key),
  );
}

async function expectError(promise: Promise<unknown>, code: string, file?: string): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isRedoubtError(error), `expected ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  if (file) expect((error as Error).message).toContain(file);
  return error as Error;
}

describe('segments', () => {
  it.each(['brotli', 'gzip', 'deflate', 'none'] as const)(
    'round-trips every record through %s, plain and encrypted',
    async (codec) => {
      const records = sampleRecords(300);
      for (const key of [undefined, KEY]) {
        const sub = key ? 'enc' : 'plain';
        const written = await writeSegments(asAsync(records), {
          store,
          prefix: sub,
          compression: { codec, level: 1 },
          key,
          binding: BINDING,
          segmentBytes: 1 << 20,
        });
        expect(written.records).toBe(300);
        expect(written.tombstones).toBe(records.filter((r) => r.tombstone).length);
        expect(written.maxVersion).toBe(records.at(-1)!.version);
        const back = await collect(
          readSegmentRecords(
            store,
            `${sub}/${written.segments[0]!.name}`,
            {
              info: written.segments[0]!,
              codec,
              encrypted: key !== undefined,
              binding: bindingOf(written.segments[0]!),
            },
            key,
          ),
        );
        expect(back).toEqual(records.map((r) => ({ ...r, value: Buffer.from(r.value) })));
      }
    },
  );

  it('rolls over to a new segment once one holds segmentBytes, and describes each one', async () => {
    const records = sampleRecords(1000, { valueBytes: 200 });
    const written = await writeSegments(asAsync(records), {
      store,
      prefix: '',
      compression: { codec: 'brotli', level: 1 },
      key: KEY,
      binding: BINDING,
      segmentBytes: 32 * 1024,
    });
    expect(written.segments.length).toBeGreaterThan(3);
    expect(written.segments.map((s) => s.name)).toEqual(
      written.segments.map((_, i) => `seg-${String(i).padStart(6, '0')}.rbk`),
    );
    expect(written.segments.reduce((n, s) => n + s.records, 0)).toBe(1000);
    for (const info of written.segments) {
      expect((await stat(join(dir, info.name))).size).toBe(info.bytes);
      await checkSegmentHash(store, info.name, info);
    }
    const back = (await Promise.all(written.segments.map((s) => readAll(s, 'brotli', KEY)))).flat();
    expect(back.map((r) => r.key)).toEqual(records.map((r) => r.key));
  });

  it('writes no segment at all for an empty stream', async () => {
    const written = await writeSegments(asAsync([]), {
      store,
      prefix: '',
      compression: { codec: 'brotli', level: 1 },
      segmentBytes: 1024,
    });
    expect(written).toMatchObject({ segments: [], records: 0, bytes: 0, maxVersion: undefined });
  });

  it('names the segment when one byte of it is flipped, whether hashed or decoded', async () => {
    const written = await writeSegments(asAsync(sampleRecords(200)), {
      store,
      prefix: '',
      compression: { codec: 'gzip', level: 1 },
      segmentBytes: 1 << 20,
    });
    const info = written.segments[0]!;
    const file = join(dir, info.name);
    await flipByte(file, Math.floor(info.bytes / 2));
    await expectError(checkSegmentHash(store, info.name, info), 'BACKUP_CORRUPT', file);
    await expectError(readAll(info, 'gzip'), 'BACKUP_CORRUPT', file);
  });

  it('refuses a segment whose ciphertext was altered (GCM) and one read with another key', async () => {
    const written = await writeSegments(asAsync(sampleRecords(100)), {
      store,
      prefix: '',
      compression: { codec: 'brotli', level: 1 },
      key: KEY,
      binding: BINDING,
      segmentBytes: 1 << 20,
    });
    const info = written.segments[0]!;
    const file = join(dir, info.name);
    await expectError(readAll(info, 'brotli', Buffer.alloc(32, 1)), 'BACKUP_CORRUPT', file);
    await expectError(readAll(info, 'brotli', undefined, true), 'BACKUP_KEY_INVALID', file);
    await flipByte(file, info.bytes - 20);
    await expectError(readAll(info, 'brotli', KEY), 'BACKUP_CORRUPT', file);
  });

  it('names a missing or truncated segment', async () => {
    const written = await writeSegments(asAsync(sampleRecords(100)), {
      store,
      prefix: '',
      compression: { codec: 'none', level: 0 },
      segmentBytes: 1 << 20,
    });
    const info = written.segments[0]!;
    const file = join(dir, info.name);
    await truncate(file, info.bytes - 10);
    await expectError(checkSegmentHash(store, info.name, info), 'BACKUP_CORRUPT', file);
    await expectError(readAll(info, 'none'), 'BACKUP_CORRUPT', file);
    await rm(file);
    const missing = await expectError(checkSegmentHash(store, info.name, info), 'BACKUP_CORRUPT', file);
    expect(missing.message).toMatch(/missing/);
  });

  it('refuses a file that is not a segment, and a header that disagrees with the manifest', async () => {
    const written = await writeSegments(asAsync(sampleRecords(10)), {
      store,
      prefix: '',
      compression: { codec: 'gzip', level: 1 },
      segmentBytes: 1 << 20,
    });
    const info = written.segments[0]!;
    await expectError(readAll(info, 'brotli'), 'BACKUP_CORRUPT');
    await expectError(readAll(info, 'gzip', KEY, true), 'BACKUP_CORRUPT');
    const bytes = await readFile(join(dir, info.name));
    bytes.write('NOTASEG!', 0, 'ascii');
    await writeFile(join(dir, info.name), bytes);
    await expectError(readAll(info, 'gzip'), 'BACKUP_CORRUPT', info.name);
  });
});
