import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backupMatrix,
  backupPartition,
  listAll,
  listPartitionBackups,
  parseBackupTargets,
  partitionsOnTarget,
  planRestore,
  pruneBackups,
  restorePartitions,
  targetsOfPartition,
  verifyTargets,
  type BackupTarget,
} from '@redoubt/backup';
import { TestCluster } from '@redoubt/backup/testing';
import type { StoredRecord } from '@redoubt/records';
import { backupStoreOpener, credentialVariable } from './target-spec.js';
import { startS3rver, type S3rverProcess } from './testing/index.js';

const P = 6;
const KEY = Buffer.alloc(32, 0x17);
const SIGNING = { key: Buffer.alloc(32, 0x29) };
let cluster: TestCluster;
let scratch: string;
let s3a: S3rverProcess;
let s3b: S3rverProcess;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'redoubt-s3-backups-'));
  [cluster, s3a, s3b] = await Promise.all([
    TestCluster.start({ nodes: 3, partitions: P, replicas: 3 }),
    startS3rver({ dir: join(scratch, 's3a'), buckets: ['backups'] }),
    startS3rver({ dir: join(scratch, 's3b'), buckets: ['offsite'] }),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.all([cluster?.stop(), s3a?.stop(), s3b?.stop()]);
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 180_000);

const all = Array.from({ length: P }, (_, p) => p);

/** The environment a worker would have: each S3 target's own credentials. */
function credentials(): NodeJS.ProcessEnv {
  return {
    [credentialVariable('s3a', 'ACCESS_KEY_ID')]: s3a.accessKeyId,
    [credentialVariable('s3a', 'SECRET_ACCESS_KEY')]: s3a.secretAccessKey,
    [credentialVariable('s3b', 'ACCESS_KEY_ID')]: s3b.accessKeyId,
    [credentialVariable('s3b', 'SECRET_ACCESS_KEY')]: s3b.secretAccessKey,
  };
}

/** Two S3 endpoints and a directory, exactly as BACKUP_TARGETS would give them. */
function mixedTargets(name: string): BackupTarget[] {
  return parseBackupTargets(
    [
      `s3a=s3://backups/${name}?endpoint=${s3a.endpoint}&region=us-east-1&style=path&attempts=3`,
      `s3b=s3://offsite/${name}/copies?endpoint=${s3b.endpoint}&style=path`,
      `dir=${join(scratch, name, 'dir')}`,
    ].join(','),
    backupStoreOpener(credentials()),
  );
}

async function backupAll(targets: BackupTarget[], kind: 'full' | 'auto' = 'auto') {
  const matrix = backupMatrix(targets, P, 2);
  const results = [];
  for (const partition of all) {
    for (const target of targetsOfPartition(matrix, targets, partition)) {
      results.push(
        await backupPartition({
          partition,
          partitions: P,
          target,
          replicas: cluster.map.replicasOf(partition),
          kind,
          key: KEY,
          signing: SIGNING,
          overlapMs: 0,
          segmentBytes: 4096,
        }),
      );
    }
  }
  return results;
}

async function restoreAll(targets: BackupTarget[], partitions = all) {
  return restorePartitions({
    plan: await planRestore(targets, partitions, SIGNING),
    targets,
    partitions: P,
    replicasOf: (p) => cluster.map.replicasOf(p),
    key: KEY,
    signing: SIGNING,
  });
}

function records(prefix: string, count: number): StoredRecord[] {
  return Array.from({ length: count }, (_, i) =>
    cluster.record(`${prefix}-${i}`, `${prefix} value ${i} `.repeat(1 + (i % 7))),
  );
}

async function expectRestored(written: readonly StoredRecord[]): Promise<void> {
  for (const node of cluster.nodes) {
    const contents = await cluster.contents(node.id);
    for (const record of written) expect(contents.get(record.key)?.version, record.key).toBe(record.version);
  }
}

/** A segment object of a complete backup of `partition` on `target` (key, and its bytes). */
async function someSegment(target: BackupTarget, partition: number) {
  const listing = await listPartitionBackups(target, partition, SIGNING);
  const backup = listing.complete.at(-1)!;
  const key = `partitions/${String(partition).padStart(5, '0')}/${backup.id}/${backup.segments[0]!.name}`;
  return { key, bytes: await target.store.get(key), file: target.store.describe(key) };
}

describe('backups on S3-compatible targets (s3rver) and mixed sets', () => {
  it('backs up to two S3 endpoints and a directory, lists, verifies, prunes and restores a wiped cluster', async () => {
    const targets = mixedTargets('mixed');
    expect(targets.map((t) => t.store.kind)).toEqual(['s3', 's3', 'directory']);
    const first = records('m1', 300);
    await cluster.writeAll(first);
    const full = await backupAll(targets, 'full');
    expect(full).toHaveLength(P * 2);
    // B = A x P spans every kind: each target holds a share of the partitions.
    for (const target of targets) expect(full.some((r) => r.target === target.id)).toBe(true);
    const second = records('m2', 120);
    await cluster.writeAll(second);
    const incremental = await backupAll(targets);
    expect(incremental.every((r) => r.status === 'written' && r.manifest.kind === 'incremental')).toBe(true);

    // Objects sit under each target's bucket prefix, in the same layout as on a directory.
    const s3Keys = (await listAll(targets[1]!.store, 'partitions/')).objects.map((o) => o.key);
    expect(s3Keys.some((k) => /^partitions\/\d{5}\/[^/]+-full-[^/]+\/seg-000000\.rbk$/.test(k))).toBe(true);
    expect(s3Keys.some((k) => k.endsWith('/manifest.json'))).toBe(true);

    const verified = await verifyTargets(targets, { key: KEY, signing: SIGNING });
    expect(verified).toMatchObject({ ok: true, backups: P * 2 * 2, problems: [] });

    // Retention keeps the newest and everything it builds on; nothing restorable is lost.
    for (const r of incremental) {
      const target = targets.find((t) => t.id === r.target)!;
      const pruned = await pruneBackups(target, r.partition, SIGNING, { keepLast: 1, keepDaily: 0 });
      expect(pruned.pruned).toEqual([]);
      expect(pruned.kept).toBe(2);
    }

    await cluster.wipeAll();
    const summary = await restoreAll(targets);
    expect(summary).toMatchObject({ ok: true, restored: P, failed: 0 });
    await expectRestored([...first, ...second]);
  }, 180_000);

  it('prunes old chains on S3 object by object, manifest first', async () => {
    const [target] = mixedTargets('prune');
    for (let round = 0; round < 3; round++) {
      await cluster.writeAll(records(`p${round}`, 30));
      await backupPartition({
        partition: 1,
        partitions: P,
        target: target!,
        replicas: cluster.map.replicasOf(1),
        kind: 'full',
        key: KEY,
        signing: SIGNING,
      });
    }
    const before = await listPartitionBackups(target!, 1, SIGNING);
    expect(before.complete).toHaveLength(3);
    const result = await pruneBackups(target!, 1, SIGNING, { keepLast: 1, keepDaily: 0 });
    expect(result.pruned).toEqual([before.complete[1]!.id, before.complete[0]!.id]);
    const keys = (await listAll(target!.store, 'partitions/00001/')).objects.map((o) => o.key);
    expect(keys.filter((k) => k.includes(before.complete[0]!.id))).toEqual([]);
    expect((await listPartitionBackups(target!, 1, SIGNING)).complete.map((b) => b.id)).toEqual([
      before.complete[2]!.id,
    ]);
  }, 120_000);

  it('names a corrupted or truncated S3 object, restores from the other copy, and other partitions go on', async () => {
    const targets = mixedTargets('damage');
    const written = records('dmg', 240);
    await cluster.writeAll(written);
    await backupAll(targets, 'full');
    const matrix = backupMatrix(targets, P, 2);
    // The copy restore tries first must be the damaged S3 one, so the fallback is exercised.
    const plan = await planRestore(targets, all, SIGNING);
    const firstOnS3 = plan.partitions
      .filter((p) => p.candidates[0]!.target.store.kind === 's3')
      .map((p) => p.partition);
    const flipped = firstOnS3[0];
    const rest = all.filter(
      (p) => p !== flipped && targetsOfPartition(matrix, targets, p).some((t) => t.store.kind === 's3'),
    );
    const [truncated, lost] = rest;
    expect(flipped, 'a partition restored from S3 first').toBeDefined();
    expect(lost, 'two more partitions with an S3 copy').toBeDefined();
    const s3Copy = (p: number) =>
      p === flipped
        ? plan.partitions.find((c) => c.partition === p)!.candidates[0]!.target
        : targetsOfPartition(matrix, targets, p).find((t) => t.store.kind === 's3')!;

    // One byte flipped in one copy, one copy cut short (rewritten through the standard S3 API).
    const a = await someSegment(s3Copy(flipped!), flipped!);
    a.bytes[a.bytes.length >> 1]! ^= 0x40;
    await s3Copy(flipped!).store.put(a.key, a.bytes);
    const b = await someSegment(s3Copy(truncated!), truncated!);
    await s3Copy(truncated!).store.put(b.key, b.bytes.subarray(0, b.bytes.length - 7));
    // Both copies of a third partition damaged: that one is refused, the others still restore.
    for (const target of targetsOfPartition(matrix, targets, lost!)) {
      const c = await someSegment(target, lost!);
      await target.store.put(
        c.key,
        Buffer.concat([c.bytes.subarray(0, 10), Buffer.alloc(c.bytes.length - 10)]),
      );
    }

    const verified = await verifyTargets(targets, { key: KEY, signing: SIGNING });
    expect(verified.ok).toBe(false);
    const named = verified.problems.map((p) => p.file);
    expect(named).toContain(a.file);
    expect(named).toContain(b.file);
    expect(a.file).toMatch(/^s3:\/\/(backups|offsite)\/damage\//);

    await cluster.wipeAll();
    const summary = await restoreAll(targets);
    expect(summary.failed).toBe(1);
    expect(summary.restored).toBe(P - 1);
    const byPartition = new Map(summary.partitions.map((r) => [r.partition, r]));
    expect(byPartition.get(flipped!)).toMatchObject({ status: 'restored' });
    expect(byPartition.get(flipped!)!.problems.map((p) => p.file)).toContain(a.file);
    expect(byPartition.get(flipped!)!.target).not.toBe(s3Copy(flipped!).id);
    expect(byPartition.get(truncated!)).toMatchObject({ status: 'restored' });
    expect(byPartition.get(lost!)).toMatchObject({ status: 'failed' });
    expect(byPartition.get(lost!)!.error?.code).toBe('BACKUP_CORRUPT');
    await expectRestored(written.filter((r) => cluster.partitionOf(r.key) !== lost));
  }, 180_000);

  it('partitionsOnTarget lists a partition whose head.json is gone (s3rver lists only folders holding an object)', async () => {
    const [target] = mixedTargets('folders');
    await cluster.writeAll(records('folders', 120));
    for (const partition of [1, 4]) {
      await backupPartition({
        partition,
        partitions: P,
        target: target!,
        replicas: cluster.map.replicasOf(partition),
        kind: 'full',
        key: KEY,
        signing: SIGNING,
      });
    }
    await target!.store.delete(['partitions/00001/head.json']); // a cache: lost, or never written
    expect(await partitionsOnTarget(target!)).toEqual([1, 4]);
    const verified = await verifyTargets([target!], { signing: SIGNING, key: KEY });
    expect(verified.ok).toBe(true);
    expect(verified.partitions).toBe(2);
  }, 120_000);

  it('a target that vanishes during a restore: every partition falls back to the other copy, naming the target', async () => {
    const gone = await startS3rver({ dir: join(scratch, 's3-gone'), buckets: ['gone'] });
    const targets = parseBackupTargets(
      [
        `s3g=s3://gone/v?endpoint=${gone.endpoint}&style=path&attempts=2`,
        `dir=${join(scratch, 'gone-dir')}`,
      ].join(','),
      backupStoreOpener({
        [credentialVariable('s3g', 'ACCESS_KEY_ID')]: gone.accessKeyId,
        [credentialVariable('s3g', 'SECRET_ACCESS_KEY')]: gone.secretAccessKey,
      }),
    );
    try {
      const written = records('gone', 150);
      await cluster.writeAll(written);
      await backupAll(targets, 'full'); // 2 copies over 2 targets: every partition on both
      const plan = await planRestore(targets, all, SIGNING);
      expect(plan.partitions.every((p) => p.candidates.length === 2)).toBe(true);
      await cluster.wipeAll();
      await gone.stop(); // after planning, before a byte is read
      const summary = await restorePartitions({
        plan,
        targets,
        partitions: P,
        replicasOf: (p) => cluster.map.replicasOf(p),
        key: KEY,
        signing: SIGNING,
      });
      expect(summary.ok).toBe(true);
      expect(summary.restored).toBe(P);
      for (const result of summary.partitions) {
        expect(result.target).toBe('dir');
        if (
          plan.partitions.find((p) => p.partition === result.partition)!.candidates[0]!.target.id === 's3g'
        ) {
          expect(result.problems.map((p) => p.code)).toContain('BACKUP_TARGET_UNREACHABLE');
          expect(result.problems.map((p) => p.message).join(' ')).toContain('s3g');
        }
      }
      await expectRestored(written);
    } finally {
      await gone.stop();
      for (const t of targets) (t.store as { close?: () => void }).close?.();
    }
  }, 180_000);

  it('a backup cut off mid-way (SIGKILL between segments) is never listed as complete', async () => {
    const [target] = mixedTargets('crash');
    await cluster.writeAll(records('crash', 400));
    const fixture = fileURLToPath(new URL('./testing/backup-to-target-process.ts', import.meta.url));
    const run = (crashAfter: number) =>
      new Promise<{ signal: NodeJS.Signals | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
          env: {
            ...process.env,
            ...credentials(),
            BACKUP_SIGNING_KEY: SIGNING.key.toString('hex'),
            DATA_NODES: cluster.dataNodesEnv,
            CLUSTER_TOKEN: cluster.clusterToken,
            PARTITIONS: String(P),
            REPLICAS: '3',
            BACKUP_TARGET: `s3a=${target!.location}`,
            PARTITION: '2',
            SEGMENT_BYTES: '4096',
            BACKUP_CRASH_AFTER_SEGMENTS: String(crashAfter),
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('exit', (_code, signal) => resolve({ signal, out }));
      });
    const crashed = await run(2);
    expect(crashed.signal).toBe('SIGKILL');
    const listing = await listPartitionBackups(target!, 2, SIGNING);
    expect(listing.complete).toHaveLength(0);
    expect(listing.incomplete).toHaveLength(1);
    expect(listing.incomplete[0]!.dir).toMatch(/^s3:\/\/backups\/crash\/partitions\/00002\//);
    // No head.json yet (written after a complete backup): the folder is still listed (its marker).
    expect(await target!.store.head('partitions/00002/head.json')).toBeUndefined();
    expect(await partitionsOnTarget(target!)).toEqual([2]);
    expect((await planRestore([target!], [2], SIGNING)).partitions[0]!.candidates).toHaveLength(0);

    const next = await run(0);
    expect(JSON.parse(next.out)).toMatchObject({ ok: true, status: 'written' });
    expect((await listPartitionBackups(target!, 2, SIGNING)).complete).toHaveLength(1);
    // Past the grace period the interrupted upload is removed; the complete backup stays.
    const pruned = await pruneBackups(target!, 2, SIGNING, {
      keepLast: 5,
      keepDaily: 0,
      incompleteGraceMs: 0,
    });
    expect(pruned.removedIncomplete).toEqual([listing.incomplete[0]!.id]);
    expect((await verifyTargets([target!], { signing: SIGNING, partitions: [2] })).ok).toBe(true);
  }, 120_000);
});
