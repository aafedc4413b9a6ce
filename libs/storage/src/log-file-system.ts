import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { promisify } from 'node:util';

/**
 * Every file-system call the log engine makes, behind one interface: the seam through which tests fail
 * a write or a flush on demand (`FaultyFileSystem`) or simulate a power cut that loses whatever was not
 * flushed (`SimulatedDisk`), both in `@redoubt/storage/testing`. Production passes nothing and gets
 * `nodeFileSystem`, plain `node:fs`. The names and arguments are node's, so the engine reads as before.
 *
 * The LMDB engine does its I/O in native code and has no such seam; its durability rests on LMDB's
 * own commit protocol (see the README).
 */
export interface LogFileSystem {
  existsSync(path: string): boolean;
  mkdirSync(path: string, options: { recursive: true }): void;
  readdirSync(path: string): string[];
  readFileSync(path: string): Buffer;
  /** `r` (a directory, to fsync it), `r+` (a segment), `w` (a small file's temporary), `wx+` (a new segment). */
  openSync(path: string, flags: 'r' | 'r+' | 'w' | 'wx+'): number;
  closeSync(fd: number): void;
  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  fsyncSync(fd: number): void;
  fdatasyncSync(fd: number): void;
  /** The group commit's flush, on a pool thread. */
  fdatasync(fd: number): Promise<void>;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

const datasync = promisify(fdatasync);

export const nodeFileSystem: LogFileSystem = {
  existsSync: (path) => existsSync(path),
  mkdirSync: (path, options) => void mkdirSync(path, options),
  readdirSync: (path) => readdirSync(path),
  readFileSync: (path) => readFileSync(path),
  openSync: (path, flags) => openSync(path, flags),
  closeSync: (fd) => closeSync(fd),
  readSync: (fd, buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
  writeSync: (fd, buffer, offset, length, position) => writeSync(fd, buffer, offset, length, position),
  fsyncSync: (fd) => fsyncSync(fd),
  fdatasyncSync: (fd) => fdatasyncSync(fd),
  fdatasync: (fd) => datasync(fd),
  renameSync: (from, to) => renameSync(from, to),
  unlinkSync: (path) => unlinkSync(path),
};
