import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { RedoubtError } from '@redoubt/errors';
import type { LogFileSystem } from './log-file-system.js';

/**
 * The files of the log engine's directory (`<store>/log`): numbered segments, the format marker and
 * the partition drop markers. Small files are replaced atomically (temporary file, fsync, rename,
 * fsync of the directory); a new segment's directory entry is made durable before anything is
 * acknowledged from it. Every call goes through a `LogFileSystem` (log-file-system.ts), the tests' seam.
 */
export const LOG_DIR = 'log';
const SEGMENT_NAME = /^(\d{10})\.seg$/;
const FORMAT_FILE = 'FORMAT';
const DROPS_FILE = 'drops';
const FORMAT_MAGIC = 0x52444c47; // "RDLG"
const FORMAT_VERSION = 1;

/** One segment file, open for reading and (the active one) appending. */
export class Segment {
  /** Bytes of frames written (where the next append goes). */
  written = 0;
  /** Frame bytes still referenced by the key directory: what compaction would have to copy. */
  live = 0;
  sealed = false;
  constructor(
    readonly id: number,
    readonly path: string,
    readonly fd: number,
  ) {}
}

export function segmentPath(dir: string, id: number): string {
  return join(dir, `${String(id).padStart(10, '0')}.seg`);
}

/** Segment ids in the directory, ascending. */
export function listSegments(fs: LogFileSystem, dir: string): number[] {
  const ids: number[] = [];
  for (const name of fs.readdirSync(dir)) {
    const match = SEGMENT_NAME.exec(name);
    if (match) ids.push(Number(match[1]));
  }
  return ids.sort((a, b) => a - b);
}

export function openSegment(fs: LogFileSystem, dir: string, id: number): Segment {
  const path = segmentPath(dir, id);
  return new Segment(id, path, fs.openSync(path, 'r+'));
}

/**
 * A new empty segment whose directory entry is durable before anything in it is acknowledged. Segments
 * grow as they are written: zero-filling them ahead of use was measured (docs/decisions/0006) and gave
 * the same throughput with a worse p99 (the fill's writes and flush compete with the groups' fdatasync).
 */
export function createSegment(fs: LogFileSystem, dir: string, id: number): Segment {
  const path = segmentPath(dir, id);
  const fd = fs.openSync(path, 'wx+');
  fsyncDirectory(fs, dir);
  return new Segment(id, path, fd);
}

/**
 * Creates `dir` and any missing parent, each one's entry made durable by a flush of its parent: a new
 * directory whose parent was never flushed can vanish in a power cut with everything acknowledged in it
 * (the power-loss harness found the log directory doing exactly that).
 */
export function createDirectoryDurably(fs: LogFileSystem, dir: string): void {
  if (fs.existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) createDirectoryDurably(fs, parent);
  fs.mkdirSync(dir, { recursive: true });
  fsyncDirectory(fs, parent);
}

export function fsyncDirectory(fs: LogFileSystem, dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Refuses a log made for another partition count; writes the marker into a new log. */
export function checkFormat(fs: LogFileSystem, dir: string, partitions: number, hasSegments: boolean): void {
  const path = join(dir, FORMAT_FILE);
  if (!fs.existsSync(path)) {
    if (hasSegments) {
      throw new RedoubtError(
        'STORE_UNAVAILABLE',
        `the log in ${dir} has segments but no ${FORMAT_FILE} file`,
      );
    }
    const format = Buffer.alloc(16);
    format.writeUInt32BE(FORMAT_MAGIC, 0);
    format.writeUInt32BE(FORMAT_VERSION, 4);
    format.writeUInt32BE(partitions >>> 0, 8);
    format.writeUInt32BE(crc32(format.subarray(0, 12)) >>> 0, 12);
    replaceFile(fs, dir, FORMAT_FILE, format);
    return;
  }
  const format = fs.readFileSync(path);
  const valid =
    format.length === 16 &&
    format.readUInt32BE(0) === FORMAT_MAGIC &&
    format.readUInt32BE(12) === crc32(format.subarray(0, 12)) >>> 0;
  const version = valid ? format.readUInt32BE(4) : 0;
  const stored = valid ? format.readUInt32BE(8) || 2 ** 32 : 0;
  if (version !== FORMAT_VERSION || stored !== partitions) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      `the store in ${dir} has format ${version} with ${stored} partitions; this node runs log format ${FORMAT_VERSION} with ${partitions}`,
      { partitions: stored, expected: partitions },
    );
  }
}

/** partition -> the sequence number below which its frames were dropped (dropPartition). */
export function readDrops(fs: LogFileSystem, dir: string): Map<number, number> {
  const drops = new Map<number, number>();
  const path = join(dir, DROPS_FILE);
  if (!fs.existsSync(path)) return drops;
  const bytes = fs.readFileSync(path);
  const count = bytes.length >= 8 ? bytes.readUInt32BE(0) : -1;
  const end = 4 + count * 12;
  if (
    count < 0 ||
    bytes.length !== end + 4 ||
    bytes.readUInt32BE(end) !== crc32(bytes.subarray(0, end)) >>> 0
  ) {
    throw new RedoubtError('STORE_UNAVAILABLE', `the drop markers in ${path} are damaged`);
  }
  for (let at = 4; at < end; at += 12) drops.set(bytes.readUInt32BE(at), bytes.readDoubleBE(at + 4));
  return drops;
}

export function writeDrops(fs: LogFileSystem, dir: string, drops: ReadonlyMap<number, number>): void {
  const bytes = Buffer.alloc(4 + drops.size * 12 + 4);
  bytes.writeUInt32BE(drops.size, 0);
  let at = 4;
  for (const [partition, seq] of drops) {
    bytes.writeUInt32BE(partition, at);
    bytes.writeDoubleBE(seq, at + 4);
    at += 12;
  }
  bytes.writeUInt32BE(crc32(bytes.subarray(0, at)) >>> 0, at);
  replaceFile(fs, dir, DROPS_FILE, bytes);
}

function replaceFile(fs: LogFileSystem, dir: string, name: string, bytes: Buffer): void {
  const temporary = join(dir, `${name}.tmp`);
  const fd = fs.openSync(temporary, 'w');
  try {
    const written = fs.writeSync(fd, bytes, 0, bytes.length, 0);
    if (written !== bytes.length)
      throw new Error(`short write of ${name}: ${written} of ${bytes.length} bytes`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, join(dir, name));
  fsyncDirectory(fs, dir);
}
