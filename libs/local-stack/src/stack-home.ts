import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedoubtError } from '@redoubt/errors';
import { pidAlive, processStartTime } from './process-identity.js';
import { readStackFile } from './stack-file.js';

/** The files a stack keeps directly in its home. */
export function homePaths(home: string) {
  return {
    stackFile: join(home, 'stack.json'),
    lock: join(home, 'stack.lock'),
    clusterFile: join(home, 'cluster.json'),
    logs: join(home, 'logs'),
  };
}

interface LockContent {
  pid: number;
  pidStartTime: string | null;
}

function sameProcess(pid: number, startTime: string | null | undefined): boolean {
  if (!pidAlive(pid)) return false;
  // Without /proc there is no start time to compare; a live PID then counts as the same process.
  return !startTime || processStartTime(pid) === startTime;
}

/**
 * One stack per home: two supervisors over the same data directories would corrupt each other. The lock is
 * a file created exclusively, holding the owner's PID and start time; a lock whose owner is gone (killed
 * with SIGKILL, machine rebooted) is stale and taken over. Returns the release function.
 */
export function acquireHomeLock(home: string): () => void {
  const { lock } = homePaths(home);
  const mine: LockContent = { pid: process.pid, pidStartTime: processStartTime(process.pid) ?? null };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      writeFileSync(lock, JSON.stringify(mine) + '\n', { flag: 'wx', mode: 0o600 });
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner: LockContent | undefined;
    try {
      owner = JSON.parse(readFileSync(lock, 'utf8')) as LockContent;
    } catch {
      owner = undefined; // half-written or garbage: treat as stale
    }
    if (owner && sameProcess(owner.pid, owner.pidStartTime)) {
      throw new RedoubtError(
        'CONFIG_INVALID',
        `a stack is already running from ${home} (supervisor pid ${owner.pid}); stop it first ` +
          `(kill -INT ${owner.pid}) or give this one another home (REDOUBT_HOME)`,
        { pid: owner.pid },
      );
    }
    rmSync(lock, { force: true });
  }
  throw new RedoubtError('CONFIG_INVALID', `could not take the lock ${lock}`);
}

/**
 * Processes a previous run left behind (its supervisor was SIGKILLed, so nobody stopped them): found in
 * its stack.json, stopped by PID when PID and start time still match. Returns the PIDs it stopped.
 */
export async function stopLeftovers(home: string, graceMs = 5_000): Promise<number[]> {
  const previous = readStackFile(homePaths(home).stackFile);
  if (!previous) return [];
  const leftovers = previous.processes
    .filter((p) => p.pid !== null && p.pidStartTime !== null && sameProcess(p.pid, p.pidStartTime))
    .map((p) => p.pid as number);
  for (const pid of leftovers) {
    signal(pid, 'SIGCONT'); // a paused process cannot handle SIGTERM
    signal(pid, 'SIGTERM');
  }
  const deadline = Date.now() + graceMs;
  while (leftovers.some(pidAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of leftovers.filter(pidAlive)) signal(pid, 'SIGKILL');
  rmSync(homePaths(home).stackFile, { force: true });
  return leftovers;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/**
 * --fresh: removes what earlier runs stored (only the stack's own directories and files, never the home
 * itself, which may have been pointed somewhere else by mistake). Returns what it removed.
 */
export function wipeState(home: string, stateRoots: readonly string[]): string[] {
  const { clusterFile, stackFile } = homePaths(home);
  const targets = [...stateRoots.map((root) => join(home, root)), clusterFile, stackFile];
  const removed = targets.filter((path) => existsSync(path));
  for (const path of removed) rmSync(path, { recursive: true, force: true });
  return removed;
}

/**
 * The partition count is fixed for a cluster's life: data written with one P is unreadable under another.
 * The first run records it in cluster.json; later runs must agree (or start --fresh).
 */
export function checkClusterIdentity(home: string, partitions: number): void {
  const { clusterFile } = homePaths(home);
  if (!existsSync(clusterFile)) {
    writeFileSync(clusterFile, JSON.stringify({ partitions, createdAt: new Date().toISOString() }) + '\n');
    return;
  }
  const recorded = JSON.parse(readFileSync(clusterFile, 'utf8')) as { partitions?: number };
  if (recorded.partitions !== partitions) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      `the data in ${home} was written with ${recorded.partitions} partitions, not ${partitions}; ` +
        "the partition count is fixed for a cluster's life: keep it, or start over with --fresh",
    );
  }
}

export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
}
