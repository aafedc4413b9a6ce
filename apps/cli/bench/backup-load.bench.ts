/**
 * What backups cost client traffic: client PUT throughput through a gateway of the local stack (4096
 * partitions, 3 data nodes, the backup-worker with its BACKUP_CONCURRENCY / BACKUP_MAX_SHARE) without any
 * backup running, then while scheduled incremental sweeps run (one added every 5 s, as the scheduler
 * would; each backs up what the PUTs changed); then `redoubt backup now` after the load (what the sweeps
 * left) and when nothing changed. Bounded: BENCH_SECONDS per phase (default 15).
 * Writes bench/results/backup-load-<timestamp>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { BACKUP_JOB_NAMES } from '@redoubt/backup';
import { generateSecret, startLocalStack } from '@redoubt/local-stack';
import { createRedisConnection, QUEUES } from '@redoubt/queues';

const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const clients = Number(process.env.BENCH_CLIENTS ?? 16);
const bin = fileURLToPath(new URL('../bin/redoubt.mjs', import.meta.url));
const results = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
// No scheduled sweep: the bench decides when backups run.
process.env.BACKUP_INCREMENTAL_EVERY_MS = '0';
process.env.BACKUP_FULL_EVERY_MS = '0';
process.env.BACKUP_DRILL_EVERY_MS = '0';
process.env.BACKUP_VERIFY_EVERY_MS = '0';

const home = await mkdtemp(join(os.tmpdir(), 'redoubt-backup-load-'));
const keys = { apiKey: generateSecret(), adminKey: generateSecret(), clusterToken: generateSecret() };
const stack = await startLocalStack({ home, dataNodes: 3, gateways: 1, backups: true, keys, log: 'ignore' });
const gateway = stack.gateways[0]!.url;

function cli(args: string[]): Promise<{ code: number | null; ms: number }> {
  const begun = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, REDOUBT_HOME: home },
      stdio: 'ignore',
    });
    child.on('exit', (code) => resolve({ code, ms: Date.now() - begun }));
  });
}

/** PUTs of 256-byte values to random keys from `clients` loops for `seconds`; returns PUTs per second. */
async function putLoad(): Promise<number> {
  const value = 'v'.repeat(256);
  const end = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; Date.now() < end; i++) {
        const res = await fetch(`${gateway}/v1/kv/load-${c}-${i % 2000}`, {
          method: 'PUT',
          body: value,
          headers: { authorization: `Bearer ${keys.apiKey}` },
        });
        await res.arrayBuffer();
        if (res.ok) done++;
      }
    }),
  );
  return done / seconds;
}

try {
  await putLoad(); // warm up, and data in most partitions
  const baseline = await putLoad();
  const connection = createRedisConnection(stack.redis, 'worker');
  const backups = new Queue(QUEUES.backup, { connection, prefix: stack.settings.queuePrefix });
  const completedBefore = await backups.getCompletedCount();
  const timer = setInterval(() => {
    void backups.add(BACKUP_JOB_NAMES.sweep, { kind: 'auto' }, { removeOnComplete: 100 });
  }, 5_000);
  void backups.add(BACKUP_JOB_NAMES.sweep, { kind: 'auto' }, { removeOnComplete: 100 });
  const duringSweeps = await putLoad();
  clearInterval(timer);
  const backedUpDuring = (await backups.getCompletedCount()) - completedBefore;
  await backups.close();
  connection.disconnect();
  const afterLoad = await cli(['backup', 'now']);
  const idle = await cli(['backup', 'now']);
  const report = {
    at: new Date().toISOString(),
    seconds,
    clients,
    loadAverage: os.loadavg(),
    backupConcurrency: Number(process.env.BACKUP_CONCURRENCY ?? 8),
    backupMaxShare: Number(process.env.BACKUP_MAX_SHARE ?? 0.125),
    putsPerSecond: { baseline: Math.round(baseline), duringSweeps: Math.round(duringSweeps) },
    ratio: Math.round((duringSweeps / baseline) * 100) / 100,
    jobsCompletedDuringSweeps: backedUpDuring,
    backupNowAfterLoadMs: afterLoad.ms,
    idleBackupNowMs: idle.ms,
  };
  mkdirSync(results, { recursive: true });
  const file = join(results, `backup-load-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(JSON.stringify(report, null, 2), `\nwritten to ${file}`);
} finally {
  await stack.stop();
  await rm(home, { recursive: true, force: true });
}
