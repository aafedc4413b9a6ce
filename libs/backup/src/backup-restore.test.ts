import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRedoubtError } from '@redoubt/errors';
import { formatVersion, type StoredRecord } from '@redoubt/records';
import { listPartitionBackups, partitionDir } from './backup-catalog.js';
import { backupPartition } from './backup-partition.js';
import { backupMatrix, directoryTarget, targetsOfPartition, type BackupTarget } from './backup-targets.js';
import { runRestoreDrill } from './restore-drill.js';
import {
  planRestore,
  restoreCandidates,
  restorePartitions,
  type RestoreSummary,
} from './restore-partition.js';
import { verifyTargets } from './verify-backups.js';
import { versionCeilingAt } from './version-bounds.js';
import { keysInPartition, TestCluster } from './testing/test-cluster.js';

const P = 8;
const KEY = Buffer.alloc(32, 0x42);
/** The manifest signing key of this run (never on a target). */
const SIGNING = { key: randomBytes(32) };
let cluster: TestCluster;
let scratch: string;

beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 3, partitions: P, replicas: 3 });
  scratch = await mkdtemp(join(tmpdir(), 'redoubt-backup-it-'));
}, 180_000); // starting real processes on a loaded machine can take a while
afterAll(async () => {
  await cluster?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 180_000); // starting real processes on a loaded machine can take a while

const all = Array.from({ length: P }, (_, p) => p);

async function freshTargets(name: string, count = 2): Promise<BackupTarget[]> {
  return Array.from({ length: count }, (_, i) =>
    directoryTarget(`t${i + 1}`, join(scratch, name, `t${i + 1}`)),
  );
}

/** Backs every partition up to each of its targets in the backup matrix. */
async function backupAll(
  targets: BackupTarget[],
  options: { key?: Buffer; kind?: 'full' | 'auto'; overlapMs?: number; segmentBytes?: number } = {},
) {
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
          kind: options.kind ?? 'auto',
          key: options.key,
          signing: SIGNING,
          overlapMs: options.overlapMs,
          segmentBytes: options.segmentBytes,
        }),
      );
    }
  }
  return results;
}

async function restoreAll(
  targets: BackupTarget[],
  options: { key?: Buffer; at?: string; partitions?: number[] } = {},
): Promise<RestoreSummary> {
  const plan = await planRestore(targets, options.partitions ?? all, SIGNING, options.at);
  return restorePartitions({
    plan,
    targets,
    partitions: P,
    replicasOf: (p) => cluster.map.replicasOf(p),
    key: options.key,
    signing: SIGNING,
    at: options.at,
  });
}

/** Every record on every node, as `node/key -> version:checksum`. */
async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const node of cluster.nodes) {
    for (const [key, r] of await cluster.contents(node.id))
      out.set(`${node.id}/${key}`, `${r.version}:${r.checksum}:${r.tombstone}`);
  }
  return out;
}

function records(prefix: string, count: number): StoredRecord[] {
  return Array.from({ length: count }, (_, i) =>
    i % 11 === 10
      ? cluster.tombstone(`${prefix}-${i}`)
      : cluster.record(`${prefix}-${i}`, `${prefix} value ${i} `.repeat(1 + (i % 5))),
  );
}

async function flipByte(file: string, offset: number): Promise<void> {
  const handle = await open(file, 'r+');
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, offset);
  byte[0] = byte[0]! ^ 0x80;
  await handle.write(byte, 0, 1, offset);
  await handle.close();
}

const fixture = fileURLToPath(new URL('./testing/backup-once-process.ts', import.meta.url));

function runFixture(
  env: Record<string, string>,
  wrap?: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const fullEnv = {
    ...process.env,
    DATA_NODES: cluster.dataNodesEnv,
    CLUSTER_TOKEN: cluster.clusterToken,
    PARTITIONS: String(P),
    REPLICAS: '3',
    BACKUP_SIGNING_KEY: SIGNING.key.toString('hex'),
    ...env,
  };
  const node = [process.execPath, '--import', 'tsx', fixture];
  const [command, ...args] = wrap
    ? ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${wrap} && exec "$@"`, 'sh', ...node]
    : node;
  return new Promise((resolve) => {
    const child = spawn(command!, args, { env: fullEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

describe('backup and restore with real data nodes', () => {
  it('backs up every partition, survives losing every data node, and restores every key with its exact value and version', async () => {
    const written = records('dr', 1200);
    await cluster.writeAll(written);
    const targets = await freshTargets('disaster');
    const results = await backupAll(targets, { key: KEY, kind: 'full' });
    expect(results).toHaveLength(P * 2);
    expect(
      results.every(
        (r) => r.status === 'written' && r.manifest.kind === 'full' && r.manifest.encryption !== null,
      ),
    ).toBe(true);

    await cluster.wipeAll();
    expect((await cluster.contents('d1')).size).toBe(0);

    const summary = await restoreAll(targets, { key: KEY });
    expect(summary).toMatchObject({ ok: true, restored: P, failed: 0 });
    for (const node of cluster.nodes) {
      const contents = await cluster.contents(node.id);
      for (const record of written) {
        const got = contents.get(record.key);
        expect(got, `${node.id} lacks ${record.key}`).toBeDefined();
        expect({
          version: got!.version,
          tombstone: got!.tombstone,
          value: Buffer.from(got!.value).toString(),
        }).toEqual({
          version: record.version,
          tombstone: record.tombstone,
          value: Buffer.from(record.value).toString(),
        });
      }
    }
    // Restoring again changes nothing: replicas merge by version.
    const before = await snapshot();
    expect((await restoreAll(targets, { key: KEY })).ok).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  it('takes incrementals with only the changes, and base + incrementals restore the live state at a watermark', async () => {
    const targets = await freshTargets('incremental');
    await backupAll(targets, { kind: 'full' });

    const partition = 3;
    const keys = keysInPartition(partition, P, 40, 'dr');
    const updates = keys.slice(0, 10).map((k) => cluster.record(k, `updated ${k}`));
    const deletes = keys.slice(10, 15).map((k) => cluster.tombstone(k));
    const added = keysInPartition(partition, P, 8, 'new').map((k) => cluster.record(k, `new ${k}`));
    await cluster.writeAll([...updates, ...deletes, ...added]);

    const round = await backupAll(targets, { overlapMs: 0 });
    for (const r of round) {
      if (r.partition === partition) {
        expect(r.status).toBe('written');
        expect(r.manifest.kind).toBe('incremental');
        expect(r.manifest.records).toBe(updates.length + deletes.length + added.length);
        expect(r.manifest.tombstones).toBe(deletes.length);
      } else {
        expect(r.status).toBe('unchanged'); // nothing changed there: nothing written
      }
    }
    const atFirstIncremental = await snapshot();
    await new Promise((r) => setTimeout(r, 5));
    const cut = versionCeilingAt(Date.now() - 1);

    // Changes after the cut, and a second incremental that carries them.
    await new Promise((r) => setTimeout(r, 5));
    await cluster.writeAll(keysInPartition(partition, P, 3, 'later').map((k) => cluster.record(k, 'later')));
    const second = (await backupAll(targets, { overlapMs: 0 })).filter((r) => r.partition === partition);
    expect(second.every((r) => r.manifest.kind === 'incremental' && r.manifest.records === 3)).toBe(true);
    const chain = (
      await listPartitionBackups(
        targets[0]!.id === second[0]!.target ? targets[0]! : targets[1]!,
        partition,
        SIGNING,
      )
    ).complete;
    expect(chain.map((b) => b.kind)).toEqual(['full', 'incremental', 'incremental']);

    await cluster.empty();
    expect((await restoreAll(targets, { at: cut })).ok).toBe(true);
    expect(await snapshot()).toEqual(atFirstIncremental);

    await cluster.empty();
    expect((await restoreAll(targets)).ok).toBe(true);
    const latest = await snapshot();
    expect(latest.size).toBe(atFirstIncremental.size + 3 * 3);
  });

  it('names a corrupt segment in verify, falls back to the other copy, and refuses the partition when every copy is damaged', async () => {
    await cluster.writeAll(records('cx', 600));
    const targets = await freshTargets('corrupt');
    await backupAll(targets, { key: KEY, kind: 'full', segmentBytes: 16 * 1024 });
    const victim = 5;
    // The copy a restore tries first, then the other one.
    const { candidates } = await restoreCandidates(targets, victim, SIGNING);
    const damaged = candidates.map((c) => {
      const segment = c.tip.segments[c.tip.segments.length - 1]!;
      return { file: join(partitionDir(c.target, victim), c.tip.id, segment.name), bytes: segment.bytes };
    });
    expect(damaged).toHaveLength(2);

    await flipByte(damaged[0]!.file, Math.floor(damaged[0]!.bytes / 2));
    const verify = await verifyTargets(targets, { signing: SIGNING });
    expect(verify.ok).toBe(false);
    expect(verify.problems.map((p) => p.file)).toEqual([damaged[0]!.file]);
    expect(verify.problems[0]).toMatchObject({ code: 'BACKUP_CORRUPT', partition: victim });

    await cluster.empty();
    const fallback = await restoreAll(targets, { key: KEY });
    expect(fallback.ok).toBe(true);
    expect(fallback.partitions[victim]!.problems.map((p) => p.file)).toEqual([damaged[0]!.file]);

    await flipByte(damaged[1]!.file, 20);
    await cluster.empty();
    const refused = await restoreAll(targets, { key: KEY });
    expect(refused.ok).toBe(false);
    expect(refused.failed).toBe(1);
    expect(refused.restored).toBe(P - 1);
    const result = refused.partitions[victim]!;
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('BACKUP_CORRUPT');
    expect(damaged.some((d) => result.error!.message.includes(d.file))).toBe(true);
    // Nothing of the refused partition reached the cluster; the others are back.
    for (const replica of cluster.map.replicasOf(victim))
      expect((await replica.digest(victim)).records).toBe(0);
    expect((await cluster.map.replicasOf(0)[0]!.digest(0)).records).toBeGreaterThan(0);
  });

  it('refuses a partition whose manifests were edited, naming the manifest, and restores the others', async () => {
    const targets = await freshTargets('manifest');
    await backupAll(targets, { kind: 'full' });
    const victim = 6;
    const edited: string[] = [];
    for (const { target, tip } of (await restoreCandidates(targets, victim, SIGNING)).candidates) {
      const file = join(partitionDir(target, victim), tip.id, 'manifest.json');
      const manifest = JSON.parse(await readFile(file, 'utf8')) as { records: number };
      manifest.records += 1; // claims one record more than its segments hold
      await writeFile(file, JSON.stringify(manifest));
      edited.push(file);
    }
    expect(edited).toHaveLength(2);
    const verify = await verifyTargets(targets, { partitions: [victim], signing: SIGNING });
    expect(verify.problems.map((p) => [p.code, p.file]).sort()).toEqual(
      edited.map((f) => ['BACKUP_MANIFEST_INVALID', f]).sort(),
    );
    const summary = await restoreAll(targets);
    expect(summary.failed).toBe(1);
    const refused = summary.partitions[victim]!;
    expect(refused.error?.code).toBe('BACKUP_MANIFEST_INVALID');
    expect(edited.some((f) => refused.error!.message.includes(f))).toBe(true);
    expect(summary.restored).toBe(P - 1);
  });

  it('refuses a wrong or missing key before touching the cluster, naming the manifest', async () => {
    const targets = await freshTargets('keys');
    await backupAll(targets, { key: KEY, kind: 'full' });
    await cluster.empty(['d2']);
    const before = await snapshot();
    for (const key of [Buffer.alloc(32, 0x43), undefined]) {
      const summary = await restoreAll(targets, { key, partitions: [0, 1] });
      expect(summary.failed).toBe(2);
      for (const r of summary.partitions) {
        expect(r.error?.code).toBe('BACKUP_KEY_INVALID');
        expect(r.error?.message).toMatch(/manifest\.json/);
      }
    }
    expect(await snapshot()).toEqual(before);
    expect((await restoreAll(targets, { key: KEY })).ok).toBe(true); // d2 comes back whole
  });

  it('reports a target that is not a directory, is read-only or is full, naming the file', async () => {
    const file = join(scratch, 'not-a-directory');
    await writeFile(file, 'x');
    const error = await backupPartition({
      partition: 0,
      partitions: P,
      target: directoryTarget('tf', join(file, 'backups')),
      replicas: cluster.map.replicasOf(0),
      signing: SIGNING,
    }).catch((e: unknown) => e);
    expect(isRedoubtError(error, 'BACKUP_TARGET_UNWRITABLE')).toBe(true);
    expect((error as Error).message).toContain(join(file, 'backups'));
    expect((error as Error).message).toMatch(/ENOTDIR/);

    // A real read-only and a real full file system, in a mount namespace of the child's own.
    await cluster.writeAll(keysInPartition(1, P, 100, 'big').map((k) => cluster.record(k, 'x'.repeat(500))));
    const mountPoint = join(scratch, 'mnt');
    await mkdir(mountPoint);
    const readOnly = await runFixture(
      { TARGET_DIR: mountPoint },
      `mount -t tmpfs -o size=1m,ro tmpfs ${mountPoint}`,
    );
    expect(JSON.parse(readOnly.out)).toMatchObject({ ok: false, code: 'BACKUP_TARGET_UNWRITABLE' });
    expect(JSON.parse(readOnly.out).message).toMatch(new RegExp(`${mountPoint}.*EROFS`));

    const full = await runFixture(
      { TARGET_DIR: join(mountPoint, 'backups'), PARTITION: '1' },
      `mount -t tmpfs -o size=16k tmpfs ${mountPoint}`,
    );
    expect(JSON.parse(full.out)).toMatchObject({ ok: false, code: 'BACKUP_TARGET_UNWRITABLE' });
    expect(JSON.parse(full.out).message).toMatch(/seg-\d{6}\.rbk.*ENOSPC|ENOSPC/);
    expect(JSON.parse(full.out).message).toContain(join(mountPoint, 'backups'));
    expect(spawnSync('mountpoint', ['-q', mountPoint]).status).not.toBe(0); // the mounts never reached us
  });

  it('leaves no finished manifest when a backup is killed between its segments, and the next one is complete', async () => {
    const target: BackupTarget = directoryTarget('t1', join(scratch, 'crash'));
    const crashed = await runFixture({
      TARGET_DIR: target.location,
      PARTITION: '2',
      SEGMENT_BYTES: '4096',
      BACKUP_CRASH_AFTER_SEGMENTS: '2',
    });
    expect(crashed.signal).toBe('SIGKILL');
    const listing = await listPartitionBackups(target, 2, SIGNING);
    expect(listing.complete).toHaveLength(0);
    expect(listing.incomplete).toHaveLength(1);
    const leftovers = await readdir(listing.incomplete[0]!.dir);
    expect(leftovers.filter((f) => f.startsWith('seg-')).length).toBeGreaterThanOrEqual(2);
    expect(leftovers).not.toContain('manifest.json');

    // A temp manifest that never got renamed (crash between write and rename) does not count either.
    await writeFile(join(listing.incomplete[0]!.dir, '.manifest.json.123.abcd.tmp'), '{}');
    expect((await listPartitionBackups(target, 2, SIGNING)).complete).toHaveLength(0);

    const next = await runFixture({ TARGET_DIR: target.location, PARTITION: '2', SEGMENT_BYTES: '4096' });
    expect(JSON.parse(next.out)).toMatchObject({ ok: true, status: 'written' });
    const after = await listPartitionBackups(target, 2, SIGNING);
    expect(after.complete).toHaveLength(1);
    expect((await verifyTargets([target], { signing: SIGNING })).ok).toBe(true);
    const summary = await restoreAll([target], { partitions: [2] });
    expect(summary.ok).toBe(true);
  });

  it('drills: restores sampled partitions into scratch space, measures RTO and RPO, and finds a hole in the backup', async () => {
    const targets = await freshTargets('drill');
    await backupAll(targets, { key: KEY, kind: 'full' });
    const drill = await runRestoreDrill({
      targets,
      partitions: P,
      sample: 3,
      replicasOf: (p) => cluster.map.replicasOf(p),
      key: KEY,
      signing: SIGNING,
      scratchDir: scratch,
    });
    expect(drill.ok).toBe(true);
    expect(drill.partitions).toHaveLength(3);
    expect(drill.rtoMs).toBeGreaterThan(0);
    expect(drill.rpoMs).toBeGreaterThanOrEqual(0);
    for (const p of drill.partitions) expect(p.comparison?.matched).toBe(p.records);

    // A record that reaches the replicas late with an old version (an hour-old write delivered now): the
    // backup could not have it, and no incremental will pick it up; the drill must say so.
    const [lateKey] = keysInPartition(6, P, 1, 'late');
    await cluster.writeAll([
      cluster.record(
        lateKey!,
        'late',
        formatVersion({ wall: Date.now() - 3_600_000, logical: 1, writer: 'gwold' }),
      ),
    ]);
    const holed = await runRestoreDrill({
      targets,
      partitions: P,
      sampled: [6, 7],
      replicasOf: (p) => cluster.map.replicasOf(p),
      key: KEY,
      signing: SIGNING,
      scratchDir: scratch,
    });
    expect(holed.ok).toBe(false);
    const six = holed.partitions.find((p) => p.partition === 6)!;
    expect(six.error?.code).toBe('BACKUP_DRILL_MISMATCH');
    expect(six.comparison?.samples).toEqual([
      expect.objectContaining({ kind: 'missingFromBackup', key: lateKey }),
    ]);
    expect(holed.partitions.find((p) => p.partition === 7)!.ok).toBe(true);
  });
});
