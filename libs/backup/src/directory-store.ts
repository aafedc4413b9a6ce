import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RedoubtError } from '@redoubt/errors';
import type {
  BackupStore,
  ListOptions,
  ListPage,
  ObjectBody,
  ReadOptions,
  StoredObject,
} from './backup-store.js';
import { missingObject } from './backup-store.js';
import { ensureDir, fsyncPath, isMissing, unreadable, unwritable } from './durable-files.js';

/** Temporary files of a `put` in progress (or left by a crash): never listed, never read. */
const TEMP_FILE = /^\..+\.tmp$/;

/**
 * A backup store in a local directory (a Docker volume, a mounted disk). Keeps the crash safety the
 * backups always had: every object is written to a temporary sibling, fsynced, renamed into place and its
 * folder fsynced, so a crash (SIGKILL, power loss) leaves either the whole object or none.
 */
export class DirectoryBackupStore implements BackupStore {
  readonly kind = 'directory';

  constructor(
    /** Absolute directory. */
    readonly location: string,
    /** Target id, for error messages. */
    private readonly target?: string,
  ) {}

  describe(key: string): string {
    return key === '' ? this.location : join(this.location, key);
  }

  async put(key: string, body: ObjectBody, options: { signal?: AbortSignal } = {}): Promise<void> {
    const path = this.describe(key);
    const folder = dirname(path);
    const temp = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await ensureDir(folder);
      const handle = await open(temp, 'wx', 0o640);
      try {
        if (typeof body === 'string' || Buffer.isBuffer(body)) await handle.writeFile(body);
        else {
          for await (const chunk of body) {
            options.signal?.throwIfAborted();
            for (let offset = 0; offset < chunk.length;) {
              offset += (await handle.write(chunk, offset, chunk.length - offset, null)).bytesWritten;
            }
          }
        }
        options.signal?.throwIfAborted();
        await handle.sync();
      } finally {
        await handle.close().catch(() => undefined);
      }
      await rename(temp, path);
      await fsyncPath(folder);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      if (options.signal?.aborted) throw error;
      throw unwritable(error, path, this.target);
    }
  }

  async get(key: string): Promise<Buffer> {
    const path = this.describe(key);
    try {
      return await readFile(path);
    } catch (error) {
      throw this.readError(error, path);
    }
  }

  async *read(key: string, options: ReadOptions = {}): AsyncGenerator<Buffer> {
    const path = this.describe(key);
    try {
      const stream = createReadStream(path, {
        highWaterMark: 1024 * 1024,
        start: options.start,
        end: options.end,
        signal: options.signal,
      });
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw this.readError(error, path);
    }
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const path = this.describe(key);
    try {
      const info = await stat(path);
      return info.isFile() ? { key, size: info.size, modifiedMs: info.mtimeMs } : undefined;
    } catch (error) {
      if (isMissing(error) || (error as { code?: string }).code === 'ENOTDIR') return undefined;
      throw unreadable(error, path);
    }
  }

  /**
   * Walks the folders below the prefix in key order. Pages are cut after `limit` entries; the
   * continuation is the last key returned (listing resumes after it), as in S3.
   */
  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const limit = options.limit ?? 1000;
    const after = options.continuation;
    const objects: StoredObject[] = [];
    const prefixes: string[] = [];
    // Start at the deepest folder the prefix names; its last component may be a partial name.
    const slash = prefix.lastIndexOf('/');
    const base = slash >= 0 ? prefix.slice(0, slash + 1) : '';
    let more = false;
    const full = () => prefixes.length + objects.length >= limit;
    const walk = async (folderKey: string): Promise<void> => {
      let entries: string[];
      try {
        // Sorted as keys sort (a folder as `name/`), so a continuation key resumes at the right place.
        entries = (await readdir(this.describe(folderKey), { withFileTypes: true }))
          .filter((e) => !TEMP_FILE.test(e.name) && (e.isDirectory() || e.isFile()))
          .map((e) => folderKey + e.name + (e.isDirectory() ? '/' : ''))
          .sort();
      } catch (error) {
        if (isMissing(error) || (error as { code?: string }).code === 'ENOTDIR') return;
        throw unreadable(error, this.describe(folderKey), 'folder');
      }
      for (const entry of entries) {
        if (more) return;
        if (!entry.startsWith(prefix) && !prefix.startsWith(entry)) continue;
        if (entry.endsWith('/')) {
          const rest = entry.slice(prefix.length);
          if (options.delimiter && entry.startsWith(prefix) && rest.includes(options.delimiter)) {
            const common = prefix + rest.slice(0, rest.indexOf(options.delimiter) + 1);
            if (after !== undefined && common <= after) continue;
            if (full()) more = true;
            else prefixes.push(common);
          } else {
            await walk(entry);
          }
          continue;
        }
        if (after !== undefined && entry <= after) continue;
        const info = await stat(this.describe(entry)).catch(() => undefined);
        if (!info) continue; // removed meanwhile
        if (full()) more = true;
        else objects.push({ key: entry, size: info.size, modifiedMs: info.mtimeMs });
      }
    };
    await walk(base);
    const last = [...objects.map((o) => o.key), ...prefixes].sort().at(-1);
    return { objects, prefixes, ...(more && last !== undefined ? { next: last } : {}) };
  }

  /** Removes the files, then every folder left empty up to the store's root. */
  async delete(keys: readonly string[]): Promise<void> {
    const folders = new Set<string>();
    for (const key of keys) {
      const path = this.describe(key);
      try {
        await rm(path, { force: true });
      } catch (error) {
        throw unwritable(error, path, this.target);
      }
      folders.add(dirname(path));
    }
    for (const folder of [...folders].sort().reverse()) await this.removeEmpty(folder);
  }

  /** Drops a folder holding nothing but temporary files of interrupted writes, and its empty parents. */
  private async removeEmpty(folder: string): Promise<void> {
    for (let dir = folder; dir.startsWith(this.location + '/'); dir = dirname(dir)) {
      const names = await readdir(dir).catch(() => undefined);
      if (!names) continue;
      if (names.some((n) => !TEMP_FILE.test(n))) return;
      try {
        await Promise.all(names.map((n) => rm(join(dir, n), { force: true })));
        await rmdir(dir);
        await fsyncPath(dirname(dir));
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return; // written to meanwhile
        throw unwritable(error, dir, this.target);
      }
    }
  }

  /** An unmounted volume or a wrong path must not look like "no backups" to verify. */
  async check(): Promise<void> {
    const info = await stat(this.location).catch(() => undefined);
    if (info?.isDirectory()) return;
    throw new RedoubtError(
      info ? 'BACKUP_TARGET_UNREADABLE' : 'BACKUP_TARGET_MISSING',
      `backup target ${this.target ?? this.location}: ${this.location} is ${info ? 'not a directory' : 'missing'}`,
      { file: this.location, ...(this.target ? { target: this.target } : {}) },
    );
  }

  private readError(error: unknown, path: string): RedoubtError {
    return isMissing(error) ? missingObject(path) : unreadable(error, path);
  }
}
