import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from '../src/testing/index.js';
import {
  backupPartition,
  planRestore,
  restorePartitions,
  verifyTargets,
  runRestoreDrill,
  type BackupTarget,
} from '../src/index.js';

const cluster = await TestCluster.start({ nodes: 3, partitions: 8 });
try {
  const root = mkdtempSync(join(tmpdir(), 'bk-targets-'));
  const targets: BackupTarget[] = [
    { id: 't1', path: join(root, 't1') },
    { id: 't2', path: join(root, 't2') },
  ];
  const records = Array.from({ length: 2000 }, (_, i) =>
    cluster.record(`key-${i}`, `value-${i}-`.repeat(10)),
  );
  await cluster.writeAll(records);
  const key = Buffer.alloc(32, 7);
  let t = performance.now();
  for (let p = 0; p < 8; p++) {
    const r = await backupPartition({
      partition: p,
      partitions: 8,
      target: targets[p % 2]!,
      replicas: cluster.map.replicasOf(p),
      key,
    });
    console.log(p, r.status, r.manifest.records, r.manifest.bytes, r.manifest.rawBytes);
  }
  console.log('backup ms', performance.now() - t);
  const r2 = await backupPartition({
    partition: 0,
    partitions: 8,
    target: targets[0]!,
    replicas: cluster.map.replicasOf(0),
    key,
  });
  console.log('again', r2.status);
  await cluster.writeAll([
    cluster.record(records.find((r) => cluster.partitionOf(r.key) === 0)!.key, 'changed'),
  ]);
  const r3 = await backupPartition({
    partition: 0,
    partitions: 8,
    target: targets[0]!,
    replicas: cluster.map.replicasOf(0),
    key,
    overlapMs: 0,
  });
  console.log('incr', r3.status, r3.manifest.kind, r3.manifest.records);
  console.log(await verifyTargets(targets, { deep: true, key }));
  const drill = await runRestoreDrill({
    targets,
    partitions: 8,
    sample: 3,
    replicasOf: (p) => cluster.map.replicasOf(p),
    key,
  });
  console.log(JSON.stringify(drill, null, 1).slice(0, 1500));
  await cluster.wipeAll();
  t = performance.now();
  const plan = await planRestore(targets, [0, 1, 2, 3, 4, 5, 6, 7]);
  const summary = await restorePartitions({
    plan,
    targets,
    partitions: 8,
    replicasOf: (p) => cluster.map.replicasOf(p),
    key,
  });
  console.log(
    'restore',
    summary.ok,
    summary.records,
    performance.now() - t,
    summary.partitions.map((p) => p.status + ':' + p.error?.message),
  );
  let bad = 0;
  for (const r of records) {
    const got = await cluster.read(r.key);
    if (
      !got ||
      (got.version !== r.version && r.key !== records.find((x) => cluster.partitionOf(x.key) === 0)!.key)
    )
      bad++;
  }
  console.log('bad', bad);
} finally {
  await cluster.stop();
}
