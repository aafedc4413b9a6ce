import { describe, expect, it } from 'vitest';
import { loadBackupSettings } from '@redoubt/backup';
import { isRedoubtError } from '@redoubt/errors';
import { s3Failure } from './s3-errors.js';
import { backupStoreOpener, parseS3Location } from './target-spec.js';

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isRedoubtError(error) && error.code).toBe('CONFIG_INVALID');
    return (error as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('s3:// target specs', () => {
  it('parses bucket, prefix and every option; credentials come from the target variables only', () => {
    const config = parseS3Location(
      't2',
      's3://my-bucket/redoubt/prod/?endpoint=http://127.0.0.1:9000&region=eu-west-1&style=path&attempts=4&partMiB=8',
      { BACKUP_S3_T2_ACCESS_KEY_ID: 'AKID', BACKUP_S3_T2_SECRET_ACCESS_KEY: 'secret' },
    );
    expect(config).toEqual({
      bucket: 'my-bucket',
      prefix: 'redoubt/prod',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      maxAttempts: 4,
      partBytes: 8 * 1024 * 1024,
    });
    // AWS S3 itself: virtual-hosted style, region from AWS_REGION, the SDK's default credential chain.
    expect(parseS3Location('off-site', 's3://bucket-1', { AWS_REGION: 'us-west-2' })).toEqual({
      bucket: 'bucket-1',
      prefix: '',
      region: 'us-west-2',
      forcePathStyle: false,
      maxAttempts: 6,
    });
  });

  it('refuses a bad spec with CONFIG_INVALID naming the target and the problem', () => {
    const open = backupStoreOpener({});
    const bad = (location: string, env: NodeJS.ProcessEnv = {}) =>
      configError(() => backupStoreOpener(env)({ id: 't1', location }));
    expect(bad('s3://Bad_Bucket/x')).toMatch(/target t1: "Bad_Bucket" is not a valid bucket name/);
    expect(bad('s3://bucket/a/../b')).toMatch(/prefix/);
    expect(bad('s3://bucket?endpoint=ftp://x')).toMatch(/http:\/\/ or https:\/\//);
    expect(bad('s3://bucket?endpoint=not a url')).toMatch(/not a URL/);
    expect(bad('s3://bucket?endpoint=http://key:secret@127.0.0.1:9000')).toMatch(
      /must not carry credentials/,
    );
    expect(bad('s3://bucket?secretKey=x')).toMatch(/unknown option "secretKey"/);
    expect(bad('s3://bucket?style=dns')).toMatch(/style must be path or virtual/);
    expect(bad('s3://bucket?attempts=0')).toMatch(/attempts must be an integer from 1 to 20/);
    expect(bad('s3://bucket?partMiB=1')).toMatch(/partMiB/);
    expect(bad('s3://bucket', { BACKUP_S3_T1_ACCESS_KEY_ID: 'only-the-id' })).toMatch(
      /set both BACKUP_S3_T1_ACCESS_KEY_ID and BACKUP_S3_T1_SECRET_ACCESS_KEY/,
    );
    expect(bad('gs://bucket/x')).toMatch(/unsupported scheme/);
    expect(bad('relative/dir')).toMatch(/neither an absolute directory/);
    expect(open({ id: 't1', location: '/abs/dir' }).kind).toBe('directory');
  });

  it('loads mixed BACKUP_TARGETS; two targets on the same endpoint, bucket and prefix are refused', () => {
    const opener = backupStoreOpener({});
    const settings = loadBackupSettings(
      {
        BACKUP_SIGNING_KEY: 'ab'.repeat(32),
        BACKUP_TARGETS:
          'a=s3://bk1/x?endpoint=http://127.0.0.1:9000,b=s3://bk1/x?endpoint=http://127.0.0.1:9001,c=/backups/c',
      },
      {},
      opener,
    );
    expect(settings.targets.map((t) => `${t.id}:${t.store.kind}:${t.store.location}`)).toEqual([
      'a:s3:s3://bk1/x',
      'b:s3:s3://bk1/x',
      'c:directory:/backups/c',
    ]);
    expect(
      configError(() =>
        loadBackupSettings(
          {
            BACKUP_SIGNING_KEY: 'ab'.repeat(32),
            BACKUP_TARGETS:
              'a=s3://bk1/x?endpoint=http://127.0.0.1:9000,b=s3://bk1/x/?endpoint=http://127.0.0.1:9000',
          },
          {},
          opener,
        ),
      ),
    ).toMatch(/share/);
  });
});

describe('S3 failures as typed errors', () => {
  it('maps what AWS S3 and MinIO answer (s3rver cannot produce some of these)', () => {
    const sdk = (name: string, status: number) =>
      Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status, attempts: 1 } });
    expect(s3Failure(sdk('SignatureDoesNotMatch', 403), 's3://b/k', 'read', 't1').code).toBe(
      'BACKUP_TARGET_DENIED',
    );
    expect(s3Failure(sdk('AccessDenied', 403), 's3://b/k', 'write').code).toBe('BACKUP_TARGET_DENIED');
    expect(s3Failure(sdk('NoSuchBucket', 404), 's3://b/k', 'write').code).toBe('BACKUP_TARGET_MISSING');
    expect(s3Failure(sdk('NotFound', 404), 's3://b', 'read', 't1', { bucket: true }).code).toBe(
      'BACKUP_TARGET_MISSING',
    );
    const missing = s3Failure(sdk('NoSuchKey', 404), 's3://b/k', 'read');
    expect(missing.code).toBe('BACKUP_CORRUPT');
    expect(missing.details.missing).toBe(true);
    expect(s3Failure(sdk('InternalError', 500), 's3://b/k', 'write').code).toBe('BACKUP_TARGET_UNWRITABLE');
    expect(s3Failure(sdk('InternalError', 500), 's3://b/k', 'read').code).toBe('BACKUP_TARGET_UNREADABLE');
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    expect(s3Failure(Object.assign(new Error('x'), { cause: refused }), 's3://b/k', 'read').code).toBe(
      'BACKUP_TARGET_UNREACHABLE',
    );
  });
});
