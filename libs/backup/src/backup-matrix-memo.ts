import type { PlacementMatrix } from '@redoubt/placement';
import { readHead } from './backup-catalog.js';
import type { BackupMetrics } from './backup-metrics.js';
import type { BackupSettings } from './backup-settings.js';
import { backupMatrix, targetsOfPartition } from './backup-targets.js';

let cachedMatrix: { key: string; matrix: PlacementMatrix } | undefined;

/** The backup matrix for these settings and P (memoised: building it for 4096 partitions is not free). */
export function backupMatrixFor(settings: BackupSettings, partitions: number): PlacementMatrix {
  const key = `${partitions}/${settings.copies}/${settings.targets.map((t) => `${t.id}@${t.zone ?? ''}:${t.weight ?? 1}`).join(',')}`;
  if (cachedMatrix?.key !== key)
    cachedMatrix = { key, matrix: backupMatrix(settings.targets, partitions, settings.copies) };
  return cachedMatrix.matrix;
}

/**
 * Seeds the "last success" metrics from the targets' head files (one small read per partition and target),
 * so a restarted worker does not report every partition as never backed up.
 */
export async function primeBackupMetrics(
  metrics: BackupMetrics,
  settings: BackupSettings,
  partitions: number,
): Promise<void> {
  metrics.expectPartitions(partitions);
  const matrix = backupMatrixFor(settings, partitions);
  for (let p = 0; p < partitions; p++) {
    for (const target of targetsOfPartition(matrix, settings.targets, p)) {
      const head = await readHead(target, p);
      if (head) metrics.recordCoverage(p, head.coveredAt);
    }
  }
}
