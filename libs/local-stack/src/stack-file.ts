import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { ProcessState } from './supervised-process.js';
import type { ClusterSettings, StackKeys } from './stack-definition.js';

/** A process as stack.json records it. */
export interface StackFileProcess {
  name: string;
  role: string;
  id: string;
  pid: number | null;
  /** With `pid`, names the process for good (see processStartTime). */
  pidStartTime: string | null;
  state: ProcessState;
  restarts: number;
  port: number;
  url: string;
  dir: string | null;
  log: string;
}

/**
 * `<home>/stack.json`: how tools (the chaos app, scripts, the CLI) find a running stack. Holds the run's
 * secrets, so it is written with mode 0600 and lives under the git-ignored home; it is removed when the
 * stack stops.
 */
export interface StackFile {
  version: 1;
  home: string;
  state: 'starting' | 'running' | 'stopping';
  startedAt: string;
  updatedAt: string;
  supervisor: { pid: number; pidStartTime: string | null; control: string | null };
  keys: StackKeys;
  cluster: ClusterSettings;
  /**
   * Where the queues' Redis is: `url` for a single server; with `--redis sentinel` `url` is empty and the
   * services go through `sentinels` (host:port,...) and the master name `sentinelName`.
   */
  redis: { url: string; sentinels?: string; sentinelName?: string };
  dataNodes: { id: string; name: string; url: string }[];
  gateways: { id: string; name: string; url: string }[];
  processes: StackFileProcess[];
  /**
   * The backup targets the stack's worker uses (BACKUP_TARGETS) and the environment its S3 targets need
   * (BACKUP_S3_<ID>_ACCESS_KEY_ID / _SECRET_ACCESS_KEY of this run): the CLI backs up, lists and restores
   * with the very same.
   */
  backups?: { targets: string; env: Record<string, string> };
}

/** Writes atomically (temp file + rename), so a reader never sees half a file, with mode 0600. */
export function writeStackFile(path: string, content: StackFile): void {
  const temp = `${path}.${process.pid}.tmp`;
  rmSync(temp, { force: true }); // `mode` applies only to a file that is created
  writeFileSync(temp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

export function readStackFile(path: string): StackFile | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StackFile;
  } catch {
    return undefined;
  }
}
