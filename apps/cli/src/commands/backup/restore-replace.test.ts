import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysInPartition, TestCluster } from '@redoubt/backup/testing';
import { startRedisServer, type RedisServerHandle } from '@redoubt/local-stack';
import type { StoredRecord } from '@redoubt/records';
import { runCli } from '../../testing/run-cli.js';

const P = 8;
let cluster: TestCluster;
let redis: RedisServerHandle;
let root: string;
let env: Record<string, string>;
/** T: after the backup, before the later writes. */
let at: string;
/** The versions the later writes made (the undo must write above them). */
const later = new Map<string, string>();

const redoubt = (args: string[]) => runCli(args, env);

/** The key's record on every replica of its partition: all must be there and agree (converged). */
async function onEveryReplica(key: string): Promise<StoredRecord | null> {
  const partition = cluster.partitionOf(key);
  const records = await Promise.all(cluster.map.replicasOf(partition).map((r) => r.get(partition, key)));
  expect(records).toHaveLength(3);
  for (const record of records) expect(record?.version).toBe(records[0]?.version);
  return records[0] ?? null;
}

const valueOf = async (key: string) => {
  const record = await onEveryReplica(key);
  return record && !record.tombstone ? Buffer.from(record.value).toString() : null; // null: reads 404
};

// Three groups of keys a, b, c, one per scope; the partition group lives in a partition of its own.
const keyGroup = ['key-a', 'key-b', 'key-c'];
const prefixGroup = ['pre-a', 'pre-b', 'pre-c'];
let partition: number;
let partitionGroup: string[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'redoubt-cli-undo-'));
  [cluster, redis] = await Promise.all([
    TestCluster.start({ nodes: 3, partitions: P, replicas: 3 }),
    startRedisServer({ dir: join(root, 'redis') }),
  ]);
  env = {
    REDOUBT_HOME: join(root, 'home'),
    DATA_NODES: cluster.dataNodesEnv,
    CLUSTER_TOKEN: cluster.clusterToken,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: 'undotest',
    PARTITIONS: String(P),
    REPLICAS: '3',
    WRITE_QUORUM: '2',
    READ_QUORUM: '2',
    BACKUP_TARGETS: `t1=${join(root, 't1')},t2=${join(root, 't2')}`,
    BACKUP_ENCRYPTION_KEY: '5c'.repeat(32),
  };
  const used = new Set([...keyGroup, ...prefixGroup].map((k) => cluster.partitionOf(k)));
  partition = Array.from({ length: P }, (_, p) => p).find((p) => !used.has(p))!;
  partitionGroup = keysInPartition(partition, P, 3, 'part');
  const groups = [keyGroup, prefixGroup, partitionGroup];
  // v1 of a and b in every group, and bystanders nobody touches later.
  await cluster.writeAll([
    ...groups.flatMap(([a, b]) => [cluster.record(a!, 'v1'), cluster.record(b!, 'v1')]),
    ...Array.from({ length: 40 }, (_, i) => cluster.record(`pre-other-${i}`, `other ${i}`)),
  ]);
  const backup = await redoubt(['backup', 'now', '--local', '--full', '--json']);
  expect(backup.code, backup.stderr).toBe(0);
  await new Promise((r) => setTimeout(r, 20));
  at = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  // After T: a overwritten (v2), b deleted, c created.
  const changes = groups.flatMap(([a, b, c]) => [
    cluster.record(a!, 'v2'),
    cluster.tombstone(b!),
    cluster.record(c!, 'new'),
  ]);
  await cluster.writeAll(changes);
  for (const r of changes) later.set(r.key, r.version);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([cluster?.stop(), redis?.stop()]);
  if (root) await rm(root, { recursive: true, force: true });
}, 180_000);

describe('redoubt restore --at T --replace (point-in-time undo)', { timeout: 180_000 }, () => {
  it('refuses bad input with a clear message and a non-zero exit, writing nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['--at', 'yesterday-ish', '--replace', '--key', 'key-a'], /INVALID_ARGUMENT: --at "yesterday-ish"/],
      [
        ['--at', '2001-01-01T00:00:00Z', '--replace', '--key', 'key-a'],
        /BACKUP_NOT_FOUND: .*before its oldest backup/,
      ],
      [
        ['--at', at, '--replace', '--key', 'key-a', '--prefix', 'pre-'],
        /only one of --key, --prefix and --partition/,
      ],
      [['--at', at, '--replace'], /--replace needs a scope/],
      [['--at', at, '--key', 'key-a'], /add --replace/],
      [['--replace', '--key', 'key-a'], /--replace needs --at/],
      [
        ['--at', at, '--replace', '--key', 'no-such-key'],
        /RECORD_NOT_FOUND: key "no-such-key" is in no backup/,
      ],
      [['--at', '2099-01-01T00:00:00Z', '--replace', '--key', 'key-a'], /is in the future/],
      [['--at', at, '--replace', '--prefix', ''], /--prefix must not be empty/],
      [['--at', at, '--replace', '--partition', `${P}`], /--partition "8": partitions are 0\.\.7/],
    ];
    for (const [args, message] of cases) {
      const run = await redoubt(['restore', ...args, '--yes']);
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
    expect(await valueOf('key-a')).toBe('v2');
    expect(await valueOf('key-b')).toBeNull();
  });

  it('--key previews one overwrite, changes nothing, then applies it with --yes on every replica', async () => {
    const preview = await redoubt(['restore', '--at', at, '--replace', '--key', 'key-a', '--json']);
    expect(preview.code, preview.stderr).toBe(0);
    const report = preview.json();
    expect(report).toMatchObject({
      ok: true,
      mode: 'replace',
      applied: false,
      partitions: 1,
      preview: { overwrite: 1, delete: 0, bringBack: 0, unchanged: 0, bytesToWrite: 2, bytesReplaced: 2 },
      result: null,
    });
    expect(report.preview.sample.overwrite).toEqual([
      {
        key: 'key-a',
        partition: cluster.partitionOf('key-a'),
        current: later.get('key-a'),
        past: expect.any(String),
        bytes: 2,
      },
    ]);
    expect(await valueOf('key-a')).toBe('v2');

    const human = await redoubt(['restore', '--at', at, '--replace', '--key', 'key-a']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/1 to overwrite, 0 to delete, 0 to bring back/);
    expect(human.stdout).toMatch(/preview only: nothing was changed.*--yes/);
    // T lies after the newest backup: allowed, and said.
    expect(human.stdout).toMatch(/note: T is after the newest backup of partition\(s\) \d+ \(backups reach /);
    expect(report.gaps).toEqual([
      {
        partition: cluster.partitionOf('key-a'),
        target: expect.stringMatching(/^t[12]$/),
        coveredUntil: expect.any(String),
        gapMs: expect.any(Number),
      },
    ]);

    const run = await redoubt(['restore', '--at', at, '--replace', '--key', 'key-a', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({
      ok: true,
      applied: true,
      result: { overwrite: 1, writes: { written: 1, failed: 0, superseded: 0, missedReplicas: 0 } },
    });
    const a = await onEveryReplica('key-a');
    expect(Buffer.from(a!.value).toString()).toBe('v1');
    expect(a!.version > later.get('key-a')!).toBe(true); // a new version above v2, not v1's old one
    expect(await valueOf('key-b')).toBeNull(); // untouched: still deleted
    expect(await valueOf('key-c')).toBe('new'); // untouched: still there

    const again = await redoubt(['restore', '--at', at, '--replace', '--key', 'key-a', '--json']);
    expect(again.json()).toMatchObject({ preview: { overwrite: 0, unchanged: 1 } }); // undoing twice: no-op
  });

  it('--prefix brings a back to v1, b back, deletes c; bystanders under the prefix untouched', async () => {
    const preview = await redoubt(['restore', '--at', at, '--replace', '--prefix', 'pre-', '--json']);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.json()).toMatchObject({
      applied: false,
      partitions: P,
      preview: { overwrite: 1, delete: 1, bringBack: 1, unchanged: 40 },
    });
    expect(await valueOf('pre-a')).toBe('v2'); // the preview changed nothing
    expect(await valueOf('pre-b')).toBeNull();
    expect(await valueOf('pre-c')).toBe('new');

    const run = await redoubt(['restore', '--at', at, '--replace', '--prefix', 'pre-', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, result: { writes: { written: 3, failed: 0 } } });
    expect(await valueOf('pre-a')).toBe('v1');
    expect(await valueOf('pre-b')).toBe('v1');
    expect(await valueOf('pre-c')).toBeNull();
    expect((await onEveryReplica('pre-c'))!.tombstone).toBe(true);
    expect(await valueOf('pre-other-7')).toBe('other 7');
    expect(await valueOf('key-c')).toBe('new'); // outside the prefix
  });

  it('--partition brings the whole partition back to T', async () => {
    const [a, b, c] = partitionGroup as [string, string, string];
    const preview = await redoubt(['restore', '--at', at, '--replace', '--partition', `${partition}`]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/1 to overwrite, 1 to delete, 1 to bring back/);
    expect(await valueOf(a)).toBe('v2');

    const run = await redoubt([
      'restore',
      '--at',
      at,
      '--replace',
      '--partition',
      `${partition}`,
      '--yes',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, result: { overwrite: 1, delete: 1, bringBack: 1 } });
    expect(await valueOf(a)).toBe('v1');
    expect(await valueOf(b)).toBe('v1');
    expect(await valueOf(c)).toBeNull();
  });
});
