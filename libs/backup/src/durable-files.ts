import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RedoubtError } from '@redoubt/errors';

/** Errors that mean "this target cannot take writes": full, read-only, not ours, or not a directory. */
const UNWRITABLE = new Set([
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EISDIR',
  'EFBIG',
  'EEXIST',
  'EIO',
  'ENOENT',
]);

const EXPLAIN: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a path component is a file where a directory is expected',
  EISDIR: 'a directory is where a file is expected',
  EFBIG: 'the file is too large for this file system or process limit',
  EEXIST: 'the file already exists',
  EIO: 'an I/O error',
  ENOENT: 'no such file or directory',
};

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** A file-system failure while writing to a target, as BACKUP_TARGET_UNWRITABLE naming target and file. */
export function unwritable(error: unknown, file: string, target?: string): RedoubtError {
  if (error instanceof RedoubtError) return error;
  const code = codeOf(error) ?? 'EIO';
  const reason = EXPLAIN[code] ?? (error as Error).message;
  const where = target ? `backup target ${target}: ` : '';
  return new RedoubtError(
    UNWRITABLE.has(code) ? 'BACKUP_TARGET_UNWRITABLE' : 'INTERNAL',
    `${where}cannot write ${file}: ${code} (${reason})`,
    { file, errno: code, ...(target ? { target } : {}) },
    { cause: error },
  );
}

/** A file-system failure while reading a backup: a missing file is a broken backup, the rest unreadable. */
export function unreadable(error: unknown, file: string, what = 'file'): RedoubtError {
  if (error instanceof RedoubtError) return error;
  const code = codeOf(error) ?? 'EIO';
  if (code === 'ENOENT') {
    return new RedoubtError(
      'BACKUP_CORRUPT',
      `${what} ${file} is missing`,
      { file, errno: code },
      { cause: error },
    );
  }
  return new RedoubtError(
    'BACKUP_TARGET_UNREADABLE',
    `cannot read ${file}: ${code} (${EXPLAIN[code] ?? (error as Error).message})`,
    { file, errno: code },
    { cause: error },
  );
}

/** fsync a file or directory by path (a directory's entry list is made durable this way). */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isMissing(error: unknown): boolean {
  return codeOf(error) === 'ENOENT';
}

/**
 * mkdir -p that reports the real reason: Node's recursive mkdir answers ENOENT on a read-only file system
 * when a parent is missing; creating one level at a time gives EROFS, EACCES, ENOTDIR... as they are.
 */
export async function ensureDir(path: string, mode = 0o750): Promise<void> {
  try {
    await mkdir(path, { mode });
  } catch (error) {
    const code = codeOf(error);
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(path) === path) throw error;
    await ensureDir(dirname(path), mode);
    try {
      await mkdir(path, { mode });
    } catch (again) {
      if (codeOf(again) !== 'EEXIST') throw again;
    }
  }
}
