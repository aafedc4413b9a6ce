import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  missingObject,
  type BackupStore,
  type ListOptions,
  type ListPage,
  type ObjectBody,
  type ReadOptions,
  type StoredObject,
} from '@redoubt/backup';
import { s3Failure } from './s3-errors.js';

export interface S3StoreConfig {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing `/` ('' for the bucket's root). */
  prefix: string;
  /** S3-compatible endpoint (MinIO, Garage, Ceph RGW, s3rver); AWS S3 when absent. */
  endpoint?: string;
  region: string;
  /** Path-style addressing (`endpoint/bucket/key`), needed by most self-hosted servers. */
  forcePathStyle: boolean;
  /** Explicit keys; when absent, the SDK's default chain (AWS_ACCESS_KEY_ID..., profiles, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per request (the SDK's standard retry strategy). Default 6. */
  maxAttempts?: number;
  /** Objects are uploaded in parts of this size once they grow past it. Default 16 MiB (S3 minimum 5). */
  partBytes?: number;
}

export const DEFAULT_PART_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_ATTEMPTS = 6;

/**
 * A backup store in an S3-compatible bucket, through the AWS SDK v3, using only the standard S3 API
 * (PutObject, multipart upload, GetObject with Range, HeadObject, ListObjectsV2, DeleteObjects,
 * HeadBucket), so AWS S3, MinIO, Garage, Ceph RGW and s3rver behave alike.
 *
 * - Atomic puts: S3 makes an object visible only when its PutObject or CompleteMultipartUpload
 *   succeeds; a failed or aborted multipart upload is aborted (its parts deleted) and leaves nothing.
 * - Retries: the SDK's `standard` retry strategy, `maxAttempts` tries with exponential backoff and full
 *   jitter (base 100 ms, cap 20 s) on 5xx, throttling (503 SlowDown, 429) and transient network errors.
 * - Checksums: `requestChecksumCalculation` / `responseChecksumValidation` are `WHEN_REQUIRED`: the SDK
 *   does not add CRC32 headers or aws-chunked trailers that older S3-compatible servers reject. Integrity
 *   is checked end to end instead: every segment's SHA-256 is in its manifest and verified on read, and
 *   a manifest carries its own checksum.
 */
export class S3BackupStore implements BackupStore {
  readonly kind = 's3';
  readonly location: string;
  /** Two targets are the same place only on the same endpoint. */
  readonly identity: string;
  private readonly client: S3Client;
  private readonly partBytes: number;

  constructor(
    private readonly config: S3StoreConfig,
    /** Target id, for error messages. */
    private readonly target?: string,
  ) {
    this.location = `s3://${config.bucket}${config.prefix ? `/${config.prefix}` : ''}`;
    this.identity = `${config.endpoint ?? 'aws'} ${this.location}`;
    this.partBytes = Math.max(config.partBytes ?? DEFAULT_PART_BYTES, 5 * 1024 * 1024);
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      ...(config.credentials ? { credentials: config.credentials } : {}),
      retryMode: 'standard',
      maxAttempts: config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  describe(key: string): string {
    return key === '' ? this.location : `${this.location}/${key}`;
  }

  private objectName(key: string): string {
    return this.config.prefix ? `${this.config.prefix}/${key}` : key;
  }

  async put(key: string, body: ObjectBody, options: { signal?: AbortSignal } = {}): Promise<void> {
    const params = { Bucket: this.config.bucket, Key: this.objectName(key) };
    try {
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        await this.client.send(new PutObjectCommand({ ...params, Body: body }), {
          abortSignal: options.signal,
        });
        return;
      }
      // Streamed: one PutObject when it stays under a part, else a multipart upload that becomes
      // visible only when completed (and is aborted, parts deleted, when anything fails).
      const abortController = new AbortController();
      const onAbort = () => abortController.abort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const upload = new Upload({
          client: this.client,
          params: { ...params, Body: Readable.from(body) },
          partSize: this.partBytes,
          queueSize: 2,
          leavePartsOnError: false,
          abortController,
        });
        await upload.done();
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw s3Failure(error, this.describe(key), 'write', this.target);
    }
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this.read(key, options)) parts.push(chunk);
    return Buffer.concat(parts);
  }

  async *read(key: string, options: ReadOptions = {}): AsyncGenerator<Buffer> {
    const range =
      options.start !== undefined || options.end !== undefined
        ? `bytes=${options.start ?? 0}-${options.end ?? ''}`
        : undefined;
    try {
      const answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.config.bucket,
          Key: this.objectName(key),
          ...(range ? { Range: range } : {}),
        }),
        { abortSignal: options.signal },
      );
      for await (const chunk of answer.Body as Readable) yield chunk as Buffer;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      const failure = s3Failure(error, this.describe(key), 'read', this.target);
      throw failure.details.missing ? missingObject(this.describe(key)) : failure;
    }
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<StoredObject | undefined> {
    try {
      const answer = await this.client.send(
        new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.objectName(key) }),
        { abortSignal: options.signal },
      );
      return { key, size: answer.ContentLength ?? 0, modifiedMs: answer.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      const failure = s3Failure(error, this.describe(key), 'read', this.target);
      if (failure.details.missing) return undefined;
      throw failure;
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const base = this.config.prefix ? `${this.config.prefix}/` : '';
    try {
      const answer = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.config.bucket,
          Prefix: base + prefix,
          ...(options.delimiter ? { Delimiter: options.delimiter } : {}),
          ...(options.continuation ? { ContinuationToken: options.continuation } : {}),
          ...(options.limit ? { MaxKeys: options.limit } : {}),
        }),
        { abortSignal: options.signal },
      );
      return {
        objects: (answer.Contents ?? []).map((o) => ({
          key: (o.Key ?? '').slice(base.length),
          size: o.Size ?? 0,
          modifiedMs: o.LastModified?.getTime() ?? 0,
        })),
        prefixes: (answer.CommonPrefixes ?? []).map((p) => (p.Prefix ?? '').slice(base.length)),
        ...(answer.IsTruncated && answer.NextContinuationToken ? { next: answer.NextContinuationToken } : {}),
      };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw s3Failure(error, this.describe(prefix), 'read', this.target);
    }
  }

  async delete(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let errors: { Key?: string; Code?: string; Message?: string }[] | undefined;
      try {
        const answer = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.config.bucket,
            Delete: { Objects: batch.map((k) => ({ Key: this.objectName(k) })), Quiet: true },
          }),
          { abortSignal: options.signal },
        );
        errors = answer.Errors;
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        throw s3Failure(error, this.describe(batch[0]!), 'write', this.target);
      }
      const failed = errors?.find((e) => e.Code !== 'NoSuchKey');
      if (failed) {
        const key = (failed.Key ?? '').slice(this.config.prefix ? this.config.prefix.length + 1 : 0);
        throw s3Failure(
          Object.assign(new Error(failed.Message ?? failed.Code ?? 'delete failed'), { name: failed.Code }),
          this.describe(key),
          'write',
          this.target,
        );
      }
    }
  }

  async check(options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }), {
        abortSignal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      const failure = s3Failure(error, this.location, 'read', this.target, { bucket: true });
      throw failure;
    }
  }

  close(): void {
    this.client.destroy();
  }
}
