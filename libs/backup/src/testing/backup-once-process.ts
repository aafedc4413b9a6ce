/**
 * A test fixture run as its own process: backs up one partition to one target and prints the outcome as
 * one JSON line. Tests run it to crash a backup for real (BACKUP_CRASH_AFTER_SEGMENTS: SIGKILL itself once
 * that many segments are durable, before the manifest) and inside a mount namespace whose target is a
 * read-only or tiny file system (unshare), which the test process itself must not be subjected to.
 *
 * Environment: DATA_NODES, CLUSTER_TOKEN, PARTITIONS, REPLICAS, TARGET_DIR, PARTITION, SEGMENT_BYTES,
 * BACKUP_CRASH_AFTER_SEGMENTS, BACKUP_SIGNING_KEY (hex; the test generates one).
 */
import { ClusterMap } from '@redoubt/cluster-client';
import { toRedoubtError } from '@redoubt/errors';
import { build } from '@redoubt/placement';
import { backupPartition } from '../backup-partition.js';

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
    target: { id: 't1', path: env.TARGET_DIR ?? '' },
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
