import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listPartitionBackups,
  directoryTarget,
  loadBackupSettings,
  processBackupJob,
  processRestoreJob,
  type BackupJobDeps,
} from '@redoubt/backup';
import { TestCluster } from '@redoubt/backup/testing';
import { startRedisServer, type RedisServerHandle } from '@redoubt/local-stack';
import { createRedisConnection, QUEUES } from '@redoubt/queues';
import { Queue } from 'bullmq';
import { PlacementStore } from '@redoubt/membership';
import { build, replicasOf } from '@redoubt/placement';
import { runCli } from '../../testing/run-cli.js';

const P = 8;
const KEY = '7a'.repeat(32);
let cluster: TestCluster;
let redis: RedisServerHandle;
let root: string;
let env: Record<string, string>;
let workers: Worker[] = [];
let backupQueue: Queue;

/** Runs the CLI as a separate process (the test's own BullMQ worker keeps running meanwhile). */
const redoubt = (args: string[], extraEnv: Record<string, string> = {}) =>
  runCli(args, { ...env, ...extraEnv });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'redoubt-cli-backup-'));
  [cluster, redis] = await Promise.all([
    TestCluster.start({ nodes: 2, partitions: P, replicas: 2 }),
    startRedisServer({ dir: join(root, 'redis') }),
  ]);
  env = {
    REDOUBT_HOME: join(root, 'home'), // no stack.json there: everything comes from the environment
    DATA_NODES: cluster.dataNodesEnv,
    CLUSTER_TOKEN: cluster.clusterToken,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: 'clitest',
    PARTITIONS: String(P),
    REPLICAS: '2',
    BACKUP_TARGETS: `t1=${join(root, 't1')},t2=${join(root, 't2')}`,
    BACKUP_ENCRYPTION_KEY: KEY,
    // Its own signing key, so a wrong encryption key below is about encryption only (no derived MAC key).
    BACKUP_SIGNING_KEY: randomBytes(32).toString('hex'),
    BACKUP_OVERLAP_MS: '0', // incrementals carry exactly what changed (the default looks back 15 s more)
  };
  const settings = loadBackupSettings(env);
  const connection = () => createRedisConnection(redis.url, 'worker');
  backupQueue = new Queue(QUEUES.backup, { connection: connection(), prefix: 'clitest' });
  const deps: BackupJobDeps = { cluster: () => cluster.map, settings, queue: backupQueue };
  workers = [
    new Worker(QUEUES.backup, (job: Job) => processBackupJob(job, deps), {
      connection: connection(),
      prefix: 'clitest',
      concurrency: 4,
    }),
    new Worker(QUEUES.restore, (job: Job) => processRestoreJob(job, deps), {
      connection: connection(),
      prefix: 'clitest',
      concurrency: 4,
    }),
  ];
  await cluster.writeAll(Array.from({ length: 300 }, (_, i) => cluster.record(`cli-${i}`, `cli value ${i}`)));
}, 180_000); // starting real processes on a loaded machine can take a while

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.close()));
  await backupQueue?.close().catch(() => undefined);
  await Promise.allSettled([cluster?.stop(), redis?.stop()]);
  if (root) await rm(root, { recursive: true, force: true });
}, 180_000); // starting real processes on a loaded machine can take a while

// Each test runs the CLI several times as its own process, against real data nodes: generous timeouts for a
// loaded 2-core machine (each CLI process is bounded by its own 90 s kill timer).
describe('redoubt backup / restore', { timeout: 180_000 }, () => {
  it('backup now --local --json backs up every partition to its targets and prints the report', async () => {
    const run = await redoubt(['backup', 'now', '--local', '--full', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = run.json();
    expect(report).toMatchObject({
      ok: true,
      mode: 'local',
      kind: 'full',
      total: P * 2,
      written: P * 2,
      unchanged: 0,
      failed: 0,
    });
    expect(report.records).toBe(300 * 2);
    const results = report.results as Record<string, unknown>[];
    expect(results).toHaveLength(P * 2);
    expect(results[0]).toEqual({
      partition: 0,
      target: expect.stringMatching(/^t[12]$/),
      status: 'written',
      backup: expect.stringMatching(/-full-/),
      kind: 'full',
      records: expect.any(Number),
      bytes: expect.any(Number),
      rawBytes: expect.any(Number),
      error: null,
    });
  });

  it('backup now (queue) enqueues the round for the worker and follows it; incrementals when data changed', async () => {
    const idle = await redoubt(['backup', 'now', '--json']);
    expect(idle.code, idle.stderr).toBe(0);
    expect(idle.json()).toMatchObject({
      ok: true,
      mode: 'queue',
      kind: 'auto',
      total: P * 2,
      unchanged: P * 2,
    });

    const changed = cluster.record('cli-7', 'changed');
    await cluster.writeAll([changed]);
    const run = await redoubt(['--json', 'backup', 'now', '--partition', `${cluster.partitionOf('cli-7')}`]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, mode: 'queue', total: 2, written: 2, records: 2 });
    expect((run.json().results as { kind: string }[]).map((r) => r.kind)).toEqual([
      'incremental',
      'incremental',
    ]);
  });

  it('backup list and verify --json describe the targets; a flipped byte fails verify naming the file', async () => {
    const list = await redoubt(['backup', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const listed = list.json();
    expect(listed).toMatchObject({ ok: true, clean: true, incomplete: [], invalid: [] });
    expect((listed.targets as { id: string }[]).map((t) => t.id)).toEqual(['t1', 't2']);
    expect((listed.backups as unknown[]).length).toBe(P * 2 + 2);
    expect((listed.backups as Record<string, unknown>[])[0]).toMatchObject({
      encrypted: true,
      kind: expect.stringMatching(/full|incremental/),
      segments: expect.any(Number),
    });

    const human = await redoubt(['backup', 'list']);
    expect(human.stdout).toMatch(/target t1 \(.*\): \d+ partition\(s\) covered, \d+ backup\(s\)/);
    expect(human.stdout).toContain('problems: none');

    const ok = await redoubt(['backup', 'verify', '--deep', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json()).toMatchObject({ ok: true, deep: true, problems: [] });

    const partition = 5;
    const { signing } = loadBackupSettings(env);
    const listing = await listPartitionBackups(
      directoryTarget('t1', join(root, 't1')),
      partition,
      signing,
    ).then(async (l) =>
      l.complete.length > 0
        ? l
        : listPartitionBackups(directoryTarget('t2', join(root, 't2')), partition, signing),
    );
    const full = listing.complete[0]!;
    const file = join(
      listing.target.location,
      'partitions',
      String(partition).padStart(5, '0'),
      full.id,
      full.segments[0]!.name,
    );
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from([0x00, 0x01]), 0, 2, 40);
    await handle.close();
    const bad = await redoubt(['backup', 'verify', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.json()).toMatchObject({ ok: false, problems: [{ code: 'BACKUP_CORRUPT', file, partition }] });
    const badHuman = await redoubt(['backup', 'verify']);
    expect(badHuman.code).toBe(1);
    expect(badHuman.stdout).toContain(file);
  });

  it('restore --local brings a wiped cluster back (refusing nothing it can restore from the other copy)', async () => {
    await cluster.wipeAll();
    const run = await redoubt(['restore', '--local', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = run.json();
    expect(report).toMatchObject({ ok: true, mode: 'local', at: null, total: P, restored: P, failed: 0 });
    expect((report.partitions as Record<string, unknown>[])[0]).toEqual({
      partition: 0,
      status: 'restored',
      target: expect.any(String),
      backup: expect.any(String),
      watermark: expect.any(String),
      records: expect.any(Number),
      problems: expect.any(Array),
      error: null,
    });
    expect((await cluster.read('cli-7'))?.value.toString()).toBe('changed');
    expect((await cluster.read('cli-299'))?.value.toString()).toBe('cli value 299');
  });

  it('restore (queue) runs restore jobs in the worker; a wrong key refuses every partition and exits 1', async () => {
    const run = await redoubt(['restore', '--partition', '0-3', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, mode: 'queue', total: 4, restored: 4 });

    const wrong = await redoubt(['restore', '--local', '--partition', '1', '--json'], {
      BACKUP_ENCRYPTION_KEY: '00'.repeat(32),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.json()).toMatchObject({
      ok: false,
      failed: 1,
      partitions: [
        {
          partition: 1,
          status: 'failed',
          error: expect.stringMatching(/^BACKUP_KEY_INVALID: .*manifest\.json/),
        },
      ],
    });
  });

  it('restores into the placement the monitor published, not the one DATA_NODES would give', async () => {
    // Epoch 2 keeps one replica per partition (say the monitor re-placed after losing a node).
    const prefix = 'clitest-placement';
    const matrix = build(
      cluster.nodes.map((n) => ({ id: n.id, zone: n.id, weight: 1 })),
      { partitions: P, replicas: 1, epoch: 2 },
    );
    const redisClient = createRedisConnection(redis.url, 'worker');
    try {
      await new PlacementStore(redisClient, prefix).publish(matrix, {
        nodes: cluster.nodes.map((n) => ({ id: n.id, url: n.url })),
      });
    } finally {
      redisClient.disconnect();
    }
    await cluster.empty();
    const run = await redoubt(['restore', '--local', '--partition', '2', '--json'], { QUEUE_PREFIX: prefix });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, placement: 'published epoch 2', restored: 1 });
    const [owner] = replicasOf(matrix, 2);
    for (const node of cluster.nodes) {
      const records = (await cluster.client(node.id).digest(2)).records;
      if (node.id === owner) expect(records).toBeGreaterThan(0);
      else expect(records).toBe(0);
    }
  });

  it('fails with a message and a non-zero exit on a bad target path, a relative one, or no worker', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'not a directory');
    const bad = await redoubt(['backup', 'now', '--local', '--json'], {
      BACKUP_TARGETS: `t1=${file}/backups`,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(
      // The probe object it could not write, below the path that is a file.
      new RegExp(
        `BACKUP_TARGET_UNWRITABLE: backup target t1: cannot write ${file}/backups/\\.redoubt-probe-[^ ]+: ENOTDIR`,
      ),
    );
    expect(bad.json()).toMatchObject({
      ok: false,
      error: { code: 'BACKUP_TARGET_UNWRITABLE', details: { target: 't1' } },
    });

    const relative = await redoubt(['backup', 'list'], { BACKUP_TARGETS: 't1=backups/t1' });
    expect(relative.code).not.toBe(0);
    expect(relative.stderr).toMatch(
      /CONFIG_INVALID: BACKUP_TARGETS: target t1: "backups\/t1" is neither an absolute directory nor a supported URL/,
    );

    const missing = await redoubt(['backup', 'verify'], { BACKUP_TARGETS: `t1=${join(root, 'nowhere')}` });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(join(root, 'nowhere'));

    const noWorker = await redoubt(['backup', 'now'], { QUEUE_PREFIX: 'nobody-listens' });
    expect(noWorker.code).not.toBe(0);
    expect(noWorker.stderr).toMatch(/no backup-worker is consuming the backup queue.*--local/);
  });
});
