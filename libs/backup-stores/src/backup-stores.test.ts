import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryBackupStore, listAll, type BackupStore } from '@redoubt/backup';
import { isRedoubtError } from '@redoubt/errors';
import { S3BackupStore, type S3StoreConfig } from './s3-store.js';
import { startS3rver, startSlowDownProxy, type S3rverProcess } from './testing/index.js';

let scratch: string;
let s3: S3rverProcess;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'redoubt-stores-'));
  s3 = await startS3rver({ dir: join(scratch, 's3'), buckets: ['backups', 'other'] });
}, 60_000);
afterAll(async () => {
  await s3?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function s3Store(overrides: Partial<S3StoreConfig> = {}): S3BackupStore {
  return new S3BackupStore(
    {
      bucket: 'backups',
      prefix: `contract-${Math.random().toString(36).slice(2, 8)}`,
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      maxAttempts: 2,
      ...overrides,
    },
    'ts3',
  );
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isRedoubtError(error), `expected a RedoubtError, got ${String(error)}`).toBe(true);
  return error as { code: string; message: string };
}

async function* chunks(count: number, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) yield Buffer.alloc(size, i % 251);
}

const kinds: [string, () => Promise<BackupStore>][] = [
  ['directory', async () => new DirectoryBackupStore(await mkdtemp(join(scratch, 'dir-')), 'tdir')],
  ['s3', async () => s3Store()],
];

describe.each(kinds)('the %s backup store keeps the contract', (_kind, open) => {
  it('puts, gets, reads ranges, heads and deletes objects; a missing one is named', async () => {
    const store = await open();
    await store.put('partitions/00001/b1/manifest.json', '{"a":1}\n');
    await store.put('partitions/00001/b1/seg-000000.rbk', Buffer.from('0123456789'));
    expect((await store.get('partitions/00001/b1/manifest.json')).toString()).toBe('{"a":1}\n');
    const range: Buffer[] = [];
    for await (const c of store.read('partitions/00001/b1/seg-000000.rbk', { start: 2, end: 5 }))
      range.push(c);
    expect(Buffer.concat(range).toString()).toBe('2345');
    expect(await store.head('partitions/00001/b1/seg-000000.rbk')).toMatchObject({ size: 10 });
    expect(await store.head('partitions/00001/b1/nothing')).toBeUndefined();
    const missing = await failure(store.get('partitions/00001/b1/nothing'));
    expect(missing.code).toBe('BACKUP_CORRUPT');
    expect(missing.message).toContain(store.describe('partitions/00001/b1/nothing'));
    await store.delete(['partitions/00001/b1/seg-000000.rbk', 'partitions/00001/b1/never-was']);
    expect(await store.head('partitions/00001/b1/seg-000000.rbk')).toBeUndefined();
    await store.check();
    store.close?.();
  });

  it('lists by prefix in key order, a page at a time, with folders under a delimiter', async () => {
    const store = await open();
    // Every folder here holds an object directly (as a partition folder holds head.json): s3rver 3.7
    // reports a common prefix only for such folders (AWS S3 and MinIO for any), see the README.
    const keys = [
      'partitions/00002/a/seg-000000.rbk',
      'partitions/00002/a/seg-000001.rbk',
      'partitions/00002/b/manifest.json',
      'partitions/00002/head.json',
      'partitions/00010/c/seg-000000.rbk',
      'partitions/00010/head.json',
      'partitions/00011/d/seg-000000.rbk',
      'partitions/00011/head.json',
    ];
    for (const key of keys) await store.put(key, key);
    const pages: string[][] = [];
    let continuation: string | undefined;
    do {
      const page = await store.list('partitions/', { limit: 2, continuation });
      pages.push(page.objects.map((o) => o.key));
      continuation = page.next;
    } while (continuation);
    expect(pages.flat()).toEqual(keys);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect((await listAll(store, 'partitions/00002/')).objects.map((o) => o.key)).toEqual(keys.slice(0, 4));
    const folders = await listAll(store, 'partitions/', { delimiter: '/' });
    expect(folders.prefixes).toEqual(['partitions/00002/', 'partitions/00010/', 'partitions/00011/']);
    expect(folders.objects).toEqual([]);
    expect((await listAll(store, 'partitions/0001')).objects.map((o) => o.key)).toEqual(keys.slice(4));
    store.close?.();
  });

  it('stores a streamed object of several parts whole, and an interrupted one not at all', async () => {
    const store = await open();
    const MiB = 1024 * 1024;
    await store.put('big/seg-000000.rbk', chunks(12, MiB)); // > 2 parts of 5 MiB on S3
    expect(await store.head('big/seg-000000.rbk')).toMatchObject({ size: 12 * MiB });
    const back = await store.get('big/seg-000000.rbk');
    expect(back.length).toBe(12 * MiB);
    expect(back[11 * MiB]).toBe(11);

    const abort = new AbortController();
    const broken = async function* () {
      yield* chunks(7, MiB);
      abort.abort(new Error('cut off'));
      yield* chunks(7, MiB);
    };
    await expect(store.put('big/seg-000001.rbk', broken(), { signal: abort.signal })).rejects.toThrow();
    expect(await store.head('big/seg-000001.rbk')).toBeUndefined();
    expect((await listAll(store, 'big/')).objects.map((o) => o.key)).toEqual(['big/seg-000000.rbk']);
    store.close?.();
  }, 60_000);
});

describe('S3 faults come back as typed errors naming the target', () => {
  it('an endpoint nobody listens on: BACKUP_TARGET_UNREACHABLE after the retries', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const store = s3Store({ endpoint: `http://127.0.0.1:${closed}`, maxAttempts: 2 });
    const error = await failure(store.put('x', 'y'));
    expect(error.code).toBe('BACKUP_TARGET_UNREACHABLE');
    expect(error.message).toMatch(/ts3.*ECONNREFUSED/);
    expect((await failure(store.check())).code).toBe('BACKUP_TARGET_UNREACHABLE');
    store.close();
  });

  // s3rver 3.7 checks the access key id but not SigV4 signatures (its V4 check is unimplemented), so a
  // wrong secret with a known key id cannot be refused by it; AWS S3 and MinIO answer that with 403
  // SignatureDoesNotMatch, which maps to the same BACKUP_TARGET_DENIED (s3-errors.test.ts).
  it('an unknown access key id: BACKUP_TARGET_DENIED', async () => {
    for (const credentials of [
      { accessKeyId: 'AKNOBODYKNOWSME0000', secretAccessKey: s3.secretAccessKey },
      { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, // s3rver's built-in pair is revoked
    ]) {
      const store = s3Store({ credentials });
      const error = await failure(store.put('x', 'y'));
      expect(error.code).toBe('BACKUP_TARGET_DENIED');
      expect((await failure(store.list(''))).code).toBe('BACKUP_TARGET_DENIED');
      store.close();
    }
  });

  it('a bucket that does not exist: BACKUP_TARGET_MISSING naming it', async () => {
    const store = s3Store({ bucket: 'no-such-bucket' });
    const put = await failure(store.put('x', 'y'));
    expect(put.code).toBe('BACKUP_TARGET_MISSING');
    expect(put.message).toContain('s3://no-such-bucket/');
    expect((await failure(store.list('partitions/'))).code).toBe('BACKUP_TARGET_MISSING');
    expect((await failure(store.check())).code).toBe('BACKUP_TARGET_MISSING');
    store.close();
  });

  it('503 SlowDown is retried with backoff (standard retry strategy) until the server takes it', async () => {
    const proxy = await startSlowDownProxy(s3.endpoint, 3);
    try {
      const store = s3Store({ endpoint: proxy.endpoint, maxAttempts: 5 });
      await store.put('throttled/object', 'made it');
      expect(proxy.throttled).toBe(3);
      expect((await store.get('throttled/object')).toString()).toBe('made it');
      // More throttling than attempts: the caller gets a typed error saying how often it tried.
      proxy.throttle(10);
      const error = await failure(store.put('throttled/again', 'no'));
      expect(error.code).toBe('BACKUP_TARGET_UNWRITABLE');
      expect(error.message).toMatch(/SlowDown.*503.*5 attempt/);
      store.close();
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
