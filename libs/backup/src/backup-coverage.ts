import { partitionsOnTarget } from './backup-catalog.js';
import { isMissingObject } from './backup-store.js';
import type { BackupTarget } from './backup-targets.js';

/**
 * `<target>/coverage.json`: the partitions a target is responsible for that held no record at all when a
 * sweep last looked, and so have no backup there. Empty partitions cost no job and no file; this one file
 * is what lets a whole-cluster restore tell "never held data" from "its backups are gone". It is rewritten
 * only when that set changes (not on every sweep).
 */
export const COVERAGE_FILE = 'coverage.json';

export interface TargetCoverage {
  /** P of the cluster the sweep looked at. */
  partitions: number;
  /** When the set was last changed (ms). */
  at: number;
  /** Ascending. */
  empty: number[];
}

export async function readCoverage(target: BackupTarget): Promise<TargetCoverage | undefined> {
  try {
    const text = (await target.store.get(COVERAGE_FILE)).toString('utf8');
    const parsed = JSON.parse(text) as TargetCoverage;
    return Array.isArray(parsed.empty) && Number.isInteger(parsed.partitions) ? parsed : undefined;
  } catch (error) {
    if (isMissingObject(error) || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** Writes the target's empty set when it differs from the stored one; true when it wrote. */
export async function updateCoverage(
  target: BackupTarget,
  partitions: number,
  empty: readonly number[],
  now = Date.now(),
): Promise<boolean> {
  const sorted = [...empty].sort((a, b) => a - b);
  const stored = await readCoverage(target).catch(() => undefined);
  if (
    stored &&
    stored.partitions === partitions &&
    stored.empty.length === sorted.length &&
    stored.empty.every((p, i) => p === sorted[i])
  ) {
    return false;
  }
  const coverage: TargetCoverage = { partitions, at: now, empty: sorted };
  await target.store.put(COVERAGE_FILE, JSON.stringify(coverage));
  return true;
}

/**
 * The partitions a restore has nothing to bring back for: recorded empty by some target's coverage (taken
 * with this P) and without a folder on any target. A partition with backups anywhere is restored from them.
 */
export async function knownEmptyPartitions(
  targets: readonly BackupTarget[],
  partitions: number,
): Promise<Set<number>> {
  const empty = new Set<number>();
  const withBackups = new Set<number>();
  for (const target of targets) {
    const coverage = await readCoverage(target).catch(() => undefined);
    if (coverage?.partitions === partitions) for (const p of coverage.empty) empty.add(p);
    for (const p of await partitionsOnTarget(target)) withBackups.add(p);
  }
  for (const p of withBackups) empty.delete(p);
  return empty;
}
