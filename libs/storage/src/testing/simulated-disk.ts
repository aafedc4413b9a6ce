import { posix } from 'node:path';
import type { LogFileSystem } from '../log-file-system.js';
import { errnoError } from './faulty-file-system.js';

/** A file: what the page cache holds, what a flush made durable, and the writes since that flush. */
class FileNode {
  data = Buffer.alloc(0);
  durable = Buffer.alloc(0);
  unsynced: { position: number; bytes: Buffer }[] = [];
  /** Bytes of data in use (data may be larger: it grows by doubling). */
  size = 0;
  durableSize = 0;
}

/** A directory: its entries as seen now, and as a flush of the directory last made durable. */
class DirNode {
  entries = new Map<string, FileNode | DirNode>();
  durable = new Map<string, FileNode | DirNode>();
}

/** Picks numbers for a crash image: an integer in [0, n). */
export type Random = (n: number) => number;

/**
 * FOR TESTS: an in-memory disk with a page cache, for the power-loss harness. Writes, new files,
 * renames and deletes land in the "cache"; `fsync`/`fdatasync` of a file makes its bytes durable, of a
 * directory its entries (names created, renamed or removed), as POSIX promises and no more.
 * `crashImage` is what a power cut leaves: durable state only, except that some of the writes not yet
 * flushed may have reached the platter, in order, the last of them torn (a prefix, or a prefix with
 * the rest of its extent zero-filled, as a file system that extended the size first would show).
 *
 * `crashAfter(n)` arms the cut at the n-th call that changes something (writes, flushes, creates,
 * renames, deletes): that call and every one after it fail with EIO, as if the machine had died, and
 * `image` holds what the disk kept. A SIGKILL cannot show a missing fsync (the page cache survives it);
 * this can.
 */
export class SimulatedDisk implements LogFileSystem {
  private readonly root = new DirNode();
  private readonly fds = new Map<number, FileNode | DirNode>();
  private nextFd = 3;
  /** Calls that changed something so far (the crash points). */
  mutations = 0;
  /** Files deleted so far (compaction's segments, among others). */
  unlinks = 0;
  private crashAt = Infinity;
  private random: Random = () => 0;
  /** The crash image, once the cut happened. */
  image: SimulatedDisk | undefined;

  get crashed(): boolean {
    return this.image !== undefined;
  }

  /** Arms the power cut at the n-th mutating call from now (1 = the next one). */
  crashAfter(n: number, random: Random): void {
    this.crashAt = this.mutations + n;
    this.random = random;
  }

  /** Cuts the power now (if it was not cut yet): from here on every change fails. */
  cutPower(): SimulatedDisk {
    this.image ??= this.survivors();
    return this.image;
  }

  existsSync(path: string): boolean {
    return this.lookup(path) !== undefined;
  }

  mkdirSync(path: string): void {
    let dir = this.root;
    for (const name of parts(path)) {
      let next = dir.entries.get(name);
      if (next === undefined) {
        this.mutate();
        next = new DirNode();
        dir.entries.set(name, next);
      }
      if (!(next instanceof DirNode)) throw errnoError('ENOTDIR', 'mkdir');
      dir = next;
    }
  }

  readdirSync(path: string): string[] {
    const dir = this.lookup(path);
    if (!(dir instanceof DirNode)) throw errnoError('ENOENT', 'scandir');
    return [...dir.entries.keys()];
  }

  readFileSync(path: string): Buffer {
    const file = this.lookup(path);
    if (!(file instanceof FileNode)) throw errnoError('ENOENT', 'open');
    return Buffer.from(file.data.subarray(0, file.size));
  }

  openSync(path: string, flags: 'r' | 'r+' | 'w' | 'wx+'): number {
    let node = this.lookup(path);
    if (flags === 'wx+' && node !== undefined) throw errnoError('EEXIST', 'open');
    if (node === undefined) {
      if (flags === 'r' || flags === 'r+') throw errnoError('ENOENT', 'open');
      this.mutate();
      const parent = this.lookup(posix.dirname(path));
      if (!(parent instanceof DirNode)) throw errnoError('ENOENT', 'open');
      node = new FileNode();
      parent.entries.set(posix.basename(path), node);
    } else if (flags === 'w' && node instanceof FileNode) {
      this.mutate();
      node.size = 0;
      node.unsynced.push({ position: 0, bytes: Buffer.alloc(0) }); // truncation, not durable yet
    }
    const fd = this.nextFd++;
    this.fds.set(fd, node);
    return fd;
  }

  closeSync(fd: number): void {
    this.fds.delete(fd);
  }

  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const file = this.file(fd);
    const end = Math.min(file.size, position + length);
    if (end <= position) return 0;
    return file.data.copy(buffer, offset, position, end);
  }

  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const file = this.file(fd);
    const bytes = Buffer.from(buffer.subarray(offset, offset + length));
    const end = position + length;
    if (end > file.data.length) {
      const grown = Buffer.alloc(Math.max(end, file.data.length * 2));
      file.data.copy(grown, 0, 0, file.size);
      file.data = grown;
    }
    if (position > file.size) file.data.fill(0, file.size, position);
    bytes.copy(file.data, position);
    file.size = Math.max(file.size, end);
    file.unsynced.push({ position, bytes });
    this.mutate(); // after the write: a cut here may keep a torn part of it
    return length;
  }

  fsyncSync(fd: number): void {
    this.mutate();
    const node = this.fds.get(fd);
    if (node === undefined) throw errnoError('EBADF', 'fsync');
    if (node instanceof DirNode) node.durable = new Map(node.entries);
    else flush(node);
  }

  fdatasyncSync(fd: number): void {
    this.fsyncSync(fd);
  }

  async fdatasync(fd: number): Promise<void> {
    await Promise.resolve(); // answered later, as from a pool thread
    this.fsyncSync(fd);
  }

  renameSync(from: string, to: string): void {
    this.mutate();
    const source = this.lookup(posix.dirname(from));
    const target = this.lookup(posix.dirname(to));
    if (!(source instanceof DirNode) || !(target instanceof DirNode)) throw errnoError('ENOENT', 'rename');
    const node = source.entries.get(posix.basename(from));
    if (node === undefined) throw errnoError('ENOENT', 'rename');
    source.entries.delete(posix.basename(from));
    target.entries.set(posix.basename(to), node);
  }

  unlinkSync(path: string): void {
    this.mutate();
    const parent = this.lookup(posix.dirname(path));
    if (!(parent instanceof DirNode) || !parent.entries.delete(posix.basename(path))) {
      throw errnoError('ENOENT', 'unlink');
    }
    this.unlinks++;
  }

  /** Every file under `path` with its size now (for messages). */
  listing(path = '/'): string[] {
    const out: string[] = [];
    const walk = (dir: DirNode, at: string) => {
      for (const [name, node] of dir.entries) {
        const full = posix.join(at, name);
        if (node instanceof DirNode) walk(node, full);
        else out.push(`${full} ${node.size}`);
      }
    };
    const start = this.lookup(path);
    if (start instanceof DirNode) walk(start, path);
    return out;
  }

  private mutate(): void {
    if (this.crashed) throw errnoError('EIO', 'power lost');
    this.mutations++;
    if (this.mutations < this.crashAt) return;
    this.image = this.survivors();
    throw errnoError('EIO', 'power lost');
  }

  /** What a power cut right now leaves on the disk. */
  private survivors(): SimulatedDisk {
    const disk = new SimulatedDisk();
    const copies = new Map<FileNode, FileNode>();
    const copyDir = (from: DirNode, to: DirNode) => {
      for (const [name, node] of from.durable) {
        if (node instanceof DirNode) {
          const dir = new DirNode();
          copyDir(node, dir);
          to.entries.set(name, dir);
          to.durable.set(name, dir);
          continue;
        }
        let copy = copies.get(node);
        if (copy === undefined) {
          copy = this.crashedFile(node);
          copies.set(node, copy);
        }
        to.entries.set(name, copy);
        to.durable.set(name, copy);
      }
    };
    copyDir(this.root, disk.root);
    return disk;
  }

  /** A file after the cut: its durable bytes, then some of its unflushed writes, the last one torn. */
  private crashedFile(node: FileNode): FileNode {
    const file = new FileNode();
    file.data = Buffer.from(node.durable.subarray(0, node.durableSize));
    file.size = node.durableSize;
    const kept = this.random(node.unsynced.length + 1);
    for (let i = 0; i < kept; i++) {
      const write = node.unsynced[i]!;
      if (write.bytes.length === 0 && write.position === 0) {
        file.size = 0; // a truncation that reached the disk
        continue;
      }
      const last = i === kept - 1;
      const tornAt = last ? this.random(write.bytes.length + 1) : write.bytes.length;
      const zeroFilled = last && this.random(2) === 1;
      const end = write.position + (zeroFilled ? write.bytes.length : tornAt);
      if (end > file.data.length) {
        const grown = Buffer.alloc(end);
        file.data.copy(grown, 0, 0, file.size);
        file.data = grown;
      }
      if (write.position > file.size) file.data.fill(0, file.size, write.position);
      write.bytes.copy(file.data, write.position, 0, tornAt);
      if (zeroFilled) file.data.fill(0, write.position + tornAt, end);
      file.size = Math.max(file.size, end);
    }
    flush(file);
    return file;
  }

  private file(fd: number): FileNode {
    const node = this.fds.get(fd);
    if (!(node instanceof FileNode)) throw errnoError('EBADF', 'read');
    return node;
  }

  private lookup(path: string): FileNode | DirNode | undefined {
    let node: FileNode | DirNode = this.root;
    for (const name of parts(path)) {
      if (!(node instanceof DirNode)) return undefined;
      const next: FileNode | DirNode | undefined = node.entries.get(name);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }
}

function flush(file: FileNode): void {
  file.durable = Buffer.from(file.data.subarray(0, file.size));
  file.durableSize = file.size;
  file.unsynced = [];
}

function parts(path: string): string[] {
  return posix
    .normalize(path)
    .split('/')
    .filter((p) => p !== '' && p !== '.');
}
