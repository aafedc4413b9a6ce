import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import { loadBackupSettings, processBackupJob } from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';
import { startRedisServer } from '@redoubt/local-stack';
import { createRedisConnection, QUEUES } from '@redoubt/queues';
const root = await mkdtemp(join(tmpdir(), 'x-'));
const [cluster, redis] = await Promise.all([
  TestCluster.start({ nodes: 2, partitions: 4, replicas: 2 }),
  startRedisServer({ dir: join(root, 'redis') }),
]);
const env = {
  REDOUBT_HOME: join(root, 'home'),
  DATA_NODES: cluster.dataNodesEnv,
  CLUSTER_TOKEN: cluster.clusterToken,
  REDIS_URL: redis.url,
  QUEUE_PREFIX: 'q',
  PARTITIONS: '4',
  REPLICAS: '2',
  BACKUP_TARGETS: `t1=${join(root, 't1')},t2=${join(root, 't2')}`,
};
const settings = loadBackupSettings(env);
const queue = new Queue(QUEUES.backup, {
  connection: createRedisConnection(redis.url, 'worker'),
  prefix: 'q',
});
const w = new Worker(
  QUEUES.backup,
  async (job: Job) => {
    const r = await processBackupJob(job, { cluster: () => cluster.map, settings, queue });
    console.log('job done', job.id);
    return r;
  },
  { connection: createRedisConnection(redis.url, 'worker'), prefix: 'q' },
);
w.on('failed', (j, e) => console.log('failed', j?.id, e.message));
const child = spawn(process.execPath, ['apps/cli/bin/redoubt.mjs', 'backup', 'now', '--json'], {
  env: { ...process.env, ...env },
  stdio: 'inherit',
});
const t = setTimeout(() => child.kill(), 25000);
await new Promise((r) => child.on('exit', r));
clearTimeout(t);
console.log(await queue.getJobCounts());
await w.close();
await queue.close();
await cluster.stop();
await redis.stop();
