import { RedoubtError } from '@redoubt/errors';

/**
 * Where the backups of one target live, with object-store semantics so that a directory and an
 * S3-compatible bucket behave exactly alike for the domain code (catalog, segments, retention, verify,
 * restore, drills). Keys are `/`-separated relative names (`partitions/00042/<id>/seg-000000.rbk`).
 *
 * Contract every kind keeps (and the shared contract test checks):
 * - `put` is atomic: a reader sees the whole new object or none of it (directory: temp file, fsync,
 *   rename, fsync the folder; S3: a single PUT or a completed multipart upload), and it is durable
 *   when `put` resolves. An interrupted `put` leaves nothing visible under the key.
 * - a missing object is `head` → undefined and `get`/`read` → BACKUP_CORRUPT with details.missing = true
 *   (naming the object); the target itself unreachable, refusing credentials, or missing throw
 *   BACKUP_TARGET_UNREACHABLE / BACKUP_TARGET_DENIED / BACKUP_TARGET_MISSING; other read failures
 *   BACKUP_TARGET_UNREADABLE, write failures BACKUP_TARGET_UNWRITABLE. Every error names the object.
 * - `list` returns keys in ascending byte order, a page at a time; with a delimiter, the "folders" below
 *   the prefix come back as `prefixes` (each ending with the delimiter) instead of their objects.
 */
export interface BackupStore {
  /** `directory` or `s3`. */
  readonly kind: string;
  /** Where it is, for people: `/backups/t1`, `s3://bucket/prefix` (never credentials). */
  readonly location: string;
  /** What makes two stores the same place (an S3 store adds its endpoint). Default: `location`. */
  readonly identity?: string;
  /** Where one object is, for people and error messages: `/backups/t1/partitions/...`, `s3://b/p/...`. */
  describe(key: string): string;
  put(key: string, body: ObjectBody, options?: { signal?: AbortSignal }): Promise<void>;
  /** The whole object. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<Buffer>;
  /** The object (or bytes `start`..`end` inclusive of it) as a stream of chunks. */
  read(key: string, options?: ReadOptions): AsyncIterable<Buffer>;
  head(key: string, options?: { signal?: AbortSignal }): Promise<StoredObject | undefined>;
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /**
   * Throws when the target itself is not there or not usable (directory missing, bucket missing,
   * endpoint unreachable, credentials refused): verify reports it instead of "no backups". A missing
   * directory is created by the first `put`; a missing bucket is not.
   */
  check(options?: { signal?: AbortSignal }): Promise<void>;
  /** Deletes the keys (missing ones are not an error). */
  delete(keys: readonly string[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Releases connections (S3 client sockets); the store is not used afterwards. */
  close?(): void;
}

export type ObjectBody = Buffer | string | AsyncIterable<Buffer>;

export interface ReadOptions {
  start?: number;
  /** Inclusive, like an HTTP range. */
  end?: number;
  signal?: AbortSignal;
}

export interface StoredObject {
  key: string;
  size: number;
  /** Last modification (ms since the epoch). */
  modifiedMs: number;
}

export interface ListOptions {
  delimiter?: string;
  /** The `next` of the previous page. */
  continuation?: string;
  /** At most this many entries per page (a store may return fewer). */
  limit?: number;
  signal?: AbortSignal;
}

export interface ListPage {
  objects: StoredObject[];
  /** With a delimiter: the common prefixes ("folders"), each ending with the delimiter. */
  prefixes: string[];
  /** Set when there are more entries: pass it as `continuation`. */
  next?: string;
}

/** Every page of a listing, concatenated. */
export async function listAll(
  store: BackupStore,
  prefix: string,
  options: Omit<ListOptions, 'continuation'> = {},
): Promise<{ objects: StoredObject[]; prefixes: string[] }> {
  const objects: StoredObject[] = [];
  const prefixes: string[] = [];
  let continuation: string | undefined;
  do {
    const page = await store.list(prefix, { ...options, continuation });
    objects.push(...page.objects);
    prefixes.push(...page.prefixes);
    continuation = page.next;
  } while (continuation);
  return { objects, prefixes };
}

/** What a store throws for a missing object: the backup that needs it is broken. */
export function missingObject(file: string, what = 'object'): RedoubtError {
  return new RedoubtError('BACKUP_CORRUPT', `${what} ${file} is missing`, {
    file,
    missing: true,
    errno: 'ENOENT',
  });
}

export function isMissingObject(error: unknown): boolean {
  return error instanceof RedoubtError && error.code === 'BACKUP_CORRUPT' && error.details.missing === true;
}

/** Joins key parts with `/`, without doubled or trailing separators. */
export function objectKey(...parts: (string | number)[]): string {
  return parts
    .map(String)
    .filter((p) => p !== '')
    .join('/')
    .replace(/\/{2,}/g, '/');
}
