import { nodeFileSystem, type LogFileSystem } from '../log-file-system.js';

/**
 * The calls a fault can hit: `write` (writeSync), `fsync` (fsync, fdatasync, sync or async; of a file
 * or a directory) or `unlink` (a metadata update that fails, as compaction's segment deletes can).
 */
export type DiskFaultOp = 'write' | 'fsync' | 'unlink';
/** What the disk answers: an I/O error, or a full disk. */
export type DiskFaultCode = 'EIO' | 'ENOSPC';

export interface DiskFault {
  op: DiskFaultOp;
  code: DiskFaultCode;
  /** Calls of that kind that still succeed before the fault strikes. Default 0. */
  after?: number;
  /** How many calls fail once it strikes. Default: every later one (a disk that stays broken). */
  times?: number;
  /** For `write`: the failing call first writes half of its bytes and reports that (a short write), as a filling disk does. */
  short?: boolean;
}

const ERRNO: Record<DiskFaultCode, number> = { EIO: -5, ENOSPC: -28 };

/**
 * FOR TESTS: `node:fs` (or another file layer) with write and flush failures injected on demand, for
 * the log engine's `fileSystem` option. The errors look like node's own (`code`, `errno`, `syscall`).
 */
export class FaultyFileSystem implements LogFileSystem {
  private faults: (DiskFault & { seen: number; failed: number })[] = [];
  /** Calls failed so far. */
  injected = 0;

  constructor(private readonly base: LogFileSystem = nodeFileSystem) {}

  /** Arms a fault; several may be armed at once. */
  fail(fault: DiskFault): this {
    this.faults.push({ ...fault, seen: 0, failed: 0 });
    return this;
  }

  /** Disarms every fault (the disk was replaced). */
  heal(): void {
    this.faults = [];
  }

  existsSync = (path: string) => this.base.existsSync(path);
  mkdirSync = (path: string, options: { recursive: true }) => this.base.mkdirSync(path, options);
  readdirSync = (path: string) => this.base.readdirSync(path);
  readFileSync = (path: string) => this.base.readFileSync(path);
  openSync = (path: string, flags: 'r' | 'r+' | 'w' | 'wx+') => this.base.openSync(path, flags);
  closeSync = (fd: number) => this.base.closeSync(fd);
  readSync = (fd: number, buffer: Buffer, offset: number, length: number, position: number) =>
    this.base.readSync(fd, buffer, offset, length, position);
  renameSync = (from: string, to: string) => this.base.renameSync(from, to);

  unlinkSync(path: string): void {
    this.check('unlink', 'unlink');
    this.base.unlinkSync(path);
  }

  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const fault = this.strike('write');
    if (fault === undefined) return this.base.writeSync(fd, buffer, offset, length, position);
    if (fault.short && length > 1) {
      return this.base.writeSync(fd, buffer, offset, Math.floor(length / 2), position);
    }
    throw errnoError(fault.code, 'write');
  }

  fsyncSync(fd: number): void {
    this.check('fsync', 'fsync');
    this.base.fsyncSync(fd);
  }

  fdatasyncSync(fd: number): void {
    this.check('fsync', 'fdatasync');
    this.base.fdatasyncSync(fd);
  }

  async fdatasync(fd: number): Promise<void> {
    this.check('fsync', 'fdatasync');
    await this.base.fdatasync(fd);
  }

  private check(op: DiskFaultOp, syscall: string): void {
    const fault = this.strike(op);
    if (fault !== undefined) throw errnoError(fault.code, syscall);
  }

  private strike(op: DiskFaultOp): DiskFault | undefined {
    for (const fault of this.faults) {
      if (fault.op !== op) continue;
      if (fault.seen++ < (fault.after ?? 0)) continue;
      if (fault.failed >= (fault.times ?? Infinity)) continue;
      fault.failed++;
      this.injected++;
      return fault;
    }
    return undefined;
  }
}

export function errnoError(code: string, syscall: string): NodeJS.ErrnoException {
  const messages: Record<string, string> = {
    EIO: 'i/o error',
    ENOSPC: 'no space left on device',
  };
  return Object.assign(new Error(`${code}: ${messages[code] ?? code}, ${syscall}`), {
    code,
    errno: ERRNO[code as DiskFaultCode] ?? -5,
    syscall,
  });
}
