import { ClusterMap } from '@redoubt/cluster-client';
import { toRedoubtError } from '@redoubt/errors';
import { build } from '@redoubt/placement';
import { backupPartition } from '../backup-partition.js';
import type { BackupTarget } from '../backup-targets.js';

/**
 * Backs up partition PARTITION to `target` from the cluster in the environment (see backup-once-process.ts)
 * and prints the outcome as one JSON line; SIGKILLs the process after BACKUP_CRASH_AFTER_SEGMENTS segments.
 * Shared by the directory fixture here and the S3 one of @redoubt/backup-stores.
 */
export async function backupOnceFromEnv(target: BackupTarget): Promise<void> {
  const env = process.env;
  const nodes = (env.DATA_NODES ?? '').split(',').map((entry) => {
    const [id, url] = entry.split('=');
    return { id: id!, url: url! };
  });
  const partitions = Number(env.PARTITIONS);
  const matrix = build(
    nodes.map((n) => ({ id: n.id, zone: n.id, weight: 1 })),
    { partitions, replicas: Number(env.REPLICAS ?? 3), epoch: 1 },
  );
  const map = new ClusterMap({ matrix, nodes, clusterToken: env.CLUSTER_TOKEN ?? '' });
  const crashAfter = Number(env.BACKUP_CRASH_AFTER_SEGMENTS ?? 0);
  let segments = 0;
  try {
    const partition = Number(env.PARTITION ?? 0);
    const result = await backupPartition({
      partition,
      partitions,
      target,
      replicas: map.replicasOf(partition),
      kind: 'full',
      segmentBytes: Number(env.SEGMENT_BYTES ?? 64 * 1024 * 1024),
      compression: { codec: 'none', level: 0 },
      signing: { key: Buffer.from(env.BACKUP_SIGNING_KEY ?? '', 'hex') },
      onSegment: () => {
        segments++;
        if (crashAfter > 0 && segments >= crashAfter) process.kill(process.pid, 'SIGKILL');
      },
    });
    console.log(JSON.stringify({ ok: true, status: result.status, backup: result.manifest.id }));
  } catch (error) {
    const e = toRedoubtError(error);
    console.log(JSON.stringify({ ok: false, code: e.code, message: e.message }));
  } finally {
    await map.close();
  }
}
