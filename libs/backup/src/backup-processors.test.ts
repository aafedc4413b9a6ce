import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '@redoubt/local-stack';
import { createRedisConnection, QUEUES } from '@redoubt/queues';
import { createMetricsRegistry } from '@redoubt/telemetry';
import { partitionDir } from './backup-catalog.js';
import {
  BACKUP_JOB_NAMES,
  BACKUP_SCHEDULER_IDS,
  enqueueBackupRound,
  RESTORE_JOB_NAMES,
  restoreJobId,
} from './backup-jobs.js';
import { registerBackupMetrics } from './backup-metrics.js';
import { processBackupJob, processRestoreJob, type BackupJobDeps } from './backup-processors.js';
import { scheduleBackups } from './backup-schedule.js';
import { loadBackupSettings } from './backup-settings.js';
import { restoreCandidates } from './restore-partition.js';
import { readBackupHealth, redisRootStore } from './backup-sweep.js';
import { readdir, stat } from 'node:fs/promises';
import { TestCluster } from './testing/test-cluster.js';

const P = 8;
let cluster: TestCluster;
let redis: RedisServerHandle;
let root: string;
let backupQueue: Queue;
let restoreQueue: Queue;
let events: { backup: QueueEvents; restore: QueueEvents };
let workers: Worker[] = [];
const registry = createMetricsRegistry('backup-test');
const metrics = registerBackupMetrics(registry);
const prefix = `bk${process.pid}`;
let deps: BackupJobDeps;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'redoubt-backup-jobs-'));
  [cluster, redis] = await Promise.all([
    TestCluster.start({ nodes: 2, partitions: P, replicas: 2 }),
    startRedisServer({ dir: join(root, 'redis') }),
  ]);
  const settings = loadBackupSettings({
    BACKUP_TARGETS: `t1=${join(root, 't1')},t2=${join(root, 't2')},t3=${join(root, 't3')}`,
    BACKUP_ENCRYPTION_KEY: 'ef'.repeat(32),
    BACKUP_SCRATCH_DIR: root,
    BACKUP_KEEP_LAST: '2',
    BACKUP_KEEP_DAILY: '0',
  });
  const connection = () => createRedisConnection(redis.url, 'worker');
  backupQueue = new Queue(QUEUES.backup, { connection: connection(), prefix });
  restoreQueue = new Queue(QUEUES.restore, { connection: connection(), prefix });
  events = {
    backup: new QueueEvents(QUEUES.backup, { connection: connection(), prefix }),
    restore: new QueueEvents(QUEUES.restore, { connection: connection(), prefix }),
  };
  await Promise.all([events.backup.waitUntilReady(), events.restore.waitUntilReady()]);
  deps = { cluster: () => cluster.map, settings, queue: backupQueue, metrics };
  workers = [
    new Worker(QUEUES.backup, (job: Job) => processBackupJob(job, deps), {
      connection: connection(),
      prefix,
      concurrency: 4,
    }),
    new Worker(QUEUES.restore, (job: Job) => processRestoreJob(job, deps), {
      connection: connection(),
      prefix,
      concurrency: 4,
    }),
  ];
}, 180_000); // starting real processes on a loaded machine can take a while

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.close()));
  await Promise.allSettled([
    backupQueue?.close(),
    restoreQueue?.close(),
    events?.backup.close(),
    events?.restore.close(),
  ]);
  await Promise.allSettled([cluster?.stop(), redis?.stop()]);
  if (root) await rm(root, { recursive: true, force: true });
}, 180_000); // starting real processes on a loaded machine can take a while

/** Waits for a job to finish and returns its result, or its failure. */
async function settle(
  queue: Queue,
  qe: QueueEvents,
  jobId: string,
): Promise<{ ok: boolean; value: unknown; job: Job }> {
  const job = (await queue.getJob(jobId))!;
  try {
    const value = await job.waitUntilFinished(qe, 60_000);
    return { ok: true, value, job: (await queue.getJob(jobId))! };
  } catch {
    return { ok: false, value: undefined, job: (await queue.getJob(jobId))! };
  }
}

async function waitForIdle(queue: Queue, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
    if (Object.values(counts).every((n) => n === 0)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`queue ${queue.name} still busy after ${timeoutMs} ms`);
}

describe('backup and restore jobs on BullMQ', () => {
  it('a sweep fans out one backup per partition and target; verify and drill jobs report; restore jobs bring a wiped cluster back', async () => {
    const written = Array.from({ length: 400 }, (_, i) => cluster.record(`job-${i}`, `job value ${i}`));
    await cluster.writeAll(written);

    const sweep = await backupQueue.add(BACKUP_JOB_NAMES.sweep, { kind: 'full' });
    const swept = await settle(backupQueue, events.backup, sweep.id!);
    expect(swept.value).toMatchObject({ job: 'backup-sweep', enqueued: P * 2 });
    await waitForIdle(backupQueue);
    const completed = await backupQueue.getJobs(['completed']);
    const partitionJobs = completed.filter((j) => j.name === BACKUP_JOB_NAMES.partition);
    expect(partitionJobs).toHaveLength(P * 2);
    expect(new Set(partitionJobs.map((j) => `${j.data.partition}/${j.data.target}`)).size).toBe(P * 2);
    expect(
      partitionJobs.every((j) => j.returnvalue.status === 'written' && j.returnvalue.kind === 'full'),
    ).toBe(true);
    expect(await backupQueue.getJobs(['failed'])).toHaveLength(0);

    // An incremental sweep with nothing changed writes nothing.
    const again = await backupQueue.add(BACKUP_JOB_NAMES.sweep, { kind: 'auto', partitions: [0, 1] });
    await settle(backupQueue, events.backup, again.id!);
    await waitForIdle(backupQueue);
    const second = (await backupQueue.getJobs(['completed'])).filter(
      (j) => j.name === BACKUP_JOB_NAMES.partition && j.data.kind === 'auto',
    );
    expect(second.map((j) => j.returnvalue.status)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);

    const verify = await backupQueue.add(BACKUP_JOB_NAMES.verify, { deep: true });
    expect((await settle(backupQueue, events.backup, verify.id!)).value).toMatchObject({
      job: 'backup-verify',
      ok: true,
      partitions: P * 2,
      problems: [],
    });
    const drill = await backupQueue.add(BACKUP_JOB_NAMES.drill, { sample: 2 });
    expect((await settle(backupQueue, events.backup, drill.id!)).value).toMatchObject({
      job: 'backup-drill',
      ok: true,
      failures: [],
    });

    const exposed = await registry.metrics();
    expect(exposed).toMatch(/redoubt_backup_drill_rto_seconds\{service="backup-test"\} [\d.e-]+/);
    expect(exposed).toMatch(
      /redoubt_backup_jobs_total\{kind="full",outcome="written",service="backup-test"\} 16/,
    );
    expect(exposed).toMatch(
      /redoubt_backup_oldest_success_timestamp_seconds\{service="backup-test"\} 1\d{9}/,
    );

    await cluster.wipeAll();
    const ids = await Promise.all(
      Array.from({ length: P }, (_, p) =>
        restoreQueue
          .add(RESTORE_JOB_NAMES.partition, { partition: p }, { jobId: restoreJobId(p, 'test1') })
          .then((j) => j.id!),
      ),
    );
    const restored = await Promise.all(ids.map((id) => settle(restoreQueue, events.restore, id)));
    expect(restored.every((r) => r.ok && (r.value as { status: string }).status === 'restored')).toBe(true);
    for (const record of written) expect((await cluster.read(record.key))?.version).toBe(record.version);
  });

  it('fails a restore job at once, naming the file, when every copy of the partition is damaged', async () => {
    const partition = 4;
    const { candidates } = await restoreCandidates(deps.settings.targets, partition, deps.settings.signing);
    expect(candidates.length).toBe(2);
    for (const c of candidates) {
      const segment = c.tip.segments[0]!;
      const handle = await open(join(partitionDir(c.target, partition), c.tip.id, segment.name), 'r+');
      await handle.write(Buffer.from([0xff, 0xff]), 0, 2, segment.bytes - 30);
      await handle.close();
    }
    const job = await restoreQueue.add(
      RESTORE_JOB_NAMES.partition,
      { partition },
      { attempts: 5, jobId: restoreJobId(partition, 'test2') },
    );
    const outcome = await settle(restoreQueue, events.restore, job.id!);
    expect(outcome.ok).toBe(false);
    expect(outcome.job.attemptsMade).toBe(1);
    expect(outcome.job.failedReason).toMatch(
      /BACKUP_CORRUPT: partition 4 refused: segment \/.*seg-000000\.rbk/,
    );
  });

  it('does not pile up rounds: a pair whose backup still waits is not added again, whatever the kind', async () => {
    const idle = new Queue(QUEUES.backup, {
      connection: createRedisConnection(redis.url, 'worker'),
      prefix: `${prefix}-idle`,
    });
    try {
      const pairs = [
        { partition: 1, target: 't1' },
        { partition: 2, target: 't2' },
      ];
      const first = await enqueueBackupRound(idle, pairs, 'auto', 'round-a');
      const second = await enqueueBackupRound(idle, pairs, 'auto', 'round-b');
      const full = await enqueueBackupRound(idle, pairs, 'full', 'round-c');
      expect(second).toEqual(first);
      // One backup per (partition, target) at a time whoever asks: a full waits on the auto already there.
      expect(full).toEqual(first);
      expect(await idle.getJobCountByTypes('wait', 'prioritized')).toBe(2);
    } finally {
      await idle.obliterate({ force: true });
      await idle.close();
    }
  });

  it('keeps the job schedulers at their cadences', async () => {
    const created = await scheduleBackups(backupQueue, {
      fullEveryMs: 86_400_000,
      incrementalEveryMs: 60_000,
      drillEveryMs: 3_600_000,
      verifyEveryMs: 0,
    });
    expect(created.sort()).toEqual(
      [BACKUP_SCHEDULER_IDS.drill, BACKUP_SCHEDULER_IDS.full, BACKUP_SCHEDULER_IDS.incremental].sort(),
    );
    expect(
      await scheduleBackups(backupQueue, {
        fullEveryMs: 86_400_000,
        incrementalEveryMs: 60_000,
        drillEveryMs: 3_600_000,
        verifyEveryMs: 0,
      }),
    ).toEqual([]);
    const schedulers = await backupQueue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, Number(s.every)]).sort()).toEqual(
      [
        [BACKUP_SCHEDULER_IDS.drill, 3_600_000],
        [BACKUP_SCHEDULER_IDS.full, 86_400_000],
        [BACKUP_SCHEDULER_IDS.incremental, 60_000],
      ].sort(),
    );
    await scheduleBackups(backupQueue, {
      fullEveryMs: 0,
      incrementalEveryMs: 0,
      drillEveryMs: 0,
      verifyEveryMs: 0,
    });
    expect(await backupQueue.getJobSchedulers()).toEqual([]);
    await backupQueue.obliterate({ force: true }).catch(() => undefined);
  });

  it('an incremental sweep with nothing new adds no job, writes no file and costs well under a second of CPU', async () => {
    const conn = createRedisConnection(redis.url, 'worker');
    const idle = new Queue(QUEUES.backup, { connection: conn, prefix: `${prefix}-sweep` });
    const roots = redisRootStore(conn, idle.toKey(''));
    const sweepDeps: BackupJobDeps = { ...deps, queue: idle, roots };
    let n = 0;
    const sweep = async () =>
      (await processBackupJob(
        { name: BACKUP_JOB_NAMES.sweep, data: { kind: 'auto' }, id: `s${++n}`, timestamp: Date.now() } as Job,
        sweepDeps,
      )) as { enqueued: number; unchanged: number };
    const files = async () => {
      let count = 0;
      let newest = 0;
      for (const t of ['t1', 't2', 't3']) {
        const entries = await readdir(join(root, t), { recursive: true, withFileTypes: true }).catch(
          () => [],
        );
        for (const entry of entries) {
          if (!entry.isFile()) continue;
          count++;
          newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
        }
      }
      return { count, newest };
    };
    try {
      // Nothing recorded yet: every pair with data gets a job; the jobs record their roots.
      expect((await sweep()).enqueued).toBe(P * 2);
      for (const job of await idle.getJobs(['wait', 'prioritized'])) await processBackupJob(job, sweepDeps);
      await idle.obliterate({ force: true });
      const before = await files();
      const cpu = process.cpuUsage();
      const quiet = await sweep();
      const used = process.cpuUsage(cpu);
      expect(quiet).toMatchObject({ enqueued: 0, unchanged: P * 2 });
      expect((used.user + used.system) / 1e6).toBeLessThan(0.5);
      expect(await idle.getJobCountByTypes('wait', 'prioritized', 'delayed')).toBe(0);
      expect(await files()).toEqual(before); // not one file written or rewritten (head.json included)

      // One key changes: only its partition's pairs get a job.
      const record = cluster.record('sweep-changed', 'new value');
      await cluster.writeAll([record]);
      expect((await sweep()).enqueued).toBe(2);
      const health = await readBackupHealth(conn, idle.toKey(''));
      expect(health.partitionsWithData).toBe(P);
      expect(health.rpoMs).toBeLessThan(60_000);
    } finally {
      await idle.obliterate({ force: true });
      await idle.close();
      conn.disconnect();
    }
  });
});
