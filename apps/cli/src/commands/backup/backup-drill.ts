import { runRestoreDrill, type DrillResult } from '@redoubt/backup';
import { clusterMapOf, parsePartitionList, resolveContext } from './cli-context.js';
import type { Output } from './output.js';
import { formatBytes, formatDuration } from './progress.js';

/**
 * `redoubt backup drill`: a restore drill from this process (the worker runs the same on its schedule):
 * restores sampled partitions into a scratch store, compares them with the live replicas, and reports
 * the RTO (time to restore) and RPO (age of the restored data).
 */
export async function backupDrill(
  options: { partition?: string; sample: number },
  out: Output,
): Promise<DrillResult> {
  const context = resolveContext();
  const { map, placement } = await clusterMapOf(context);
  try {
    out.line(
      `drill: ${options.partition ? `partitions ${options.partition}` : `${options.sample} sampled partition(s)`}, ` +
        `compared with the replicas of placement ${placement}`,
    );
    const result = await runRestoreDrill({
      targets: context.settings.targets,
      partitions: context.partitions,
      sampled:
        options.partition === undefined
          ? undefined
          : parsePartitionList(options.partition, context.partitions),
      sample: options.sample,
      replicasOf: (p) => map.replicasOf(p),
      key: context.settings.key,
      signing: context.settings.signing,
      scratchDir: context.settings.scratchDir,
      overlapMs: context.settings.overlapMs,
    });
    out.result(result, (r) => {
      console.log(
        `drill ${r.ok ? 'PASSED' : 'FAILED'}: ${r.partitions.length} partition(s), ${r.records} records (${formatBytes(r.rawBytes)}); ` +
          `RTO ${formatDuration(r.rtoMs)}, RPO ${r.rpoMs === null ? '-' : formatDuration(r.rpoMs)}`,
      );
      for (const p of r.partitions) {
        const c = p.comparison;
        console.log(
          `  partition ${p.partition}: ${p.ok ? 'ok' : p.error?.message}` +
            (c
              ? ` (vs ${c.node}: ${c.matched} matched, ${c.newerOnReplica} newer on the replica, ${c.missingFromBackup} missing from the backup)`
              : ''),
        );
      }
    });
    return result;
  } finally {
    await map.close();
  }
}
