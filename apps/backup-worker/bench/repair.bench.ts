// Benchmark of the backup-worker's repair path (not a test): fills the partitions of a 3-node cluster with
// BENCH_REPAIR_BYTES (default 1 GiB) of records, wipes one replica, and times its rebuild through
// repair-partition jobs run by a real backup-worker process. Baselines measured in the same run: the same
// rebuild as a bare stream from one node into the wiped one (no worker, no digests), and client latency
// (quorum reads and writes straight to the data nodes, at a fixed rate) without any rebuild.
// Writes <repo>/bench/results/repair-<timestamp>.json and prints a summary.
//
//   npm run bench:repair -w @redoubt/backup-worker
//   BENCH_REPAIR_BYTES=100000000 npm run bench:repair -w @redoubt/backup-worker     (a quick run)
//   BENCH_REPAIR_PACING=0 npm run bench:repair      (the rebuild unpaced, as before the latency pacer)
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DataNodeCluster } from '@redoubt/anti-entropy/testing';
import { partitionOf } from '@redoubt/hashing';
import { freePort, REPO_ROOT, ServiceProcess, startRedisServer } from '@redoubt/local-stack';
import { createRedisConnection, JobProducer, PRIORITY, QUEUES } from '@redoubt/queues';
import { makeRecord, type StoredRecord } from '@redoubt/records';

const MB = 1_000_000;
const MiB = 1 << 20;
const envNumber = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const params = {
  bytes: envNumber('BENCH_REPAIR_BYTES', 1024 * MiB),
  valueBytes: envNumber('BENCH_VALUE_BYTES', 16 * 1024),
  partitions: envNumber('BENCH_PARTITIONS', 256),
  repairConcurrency: envNumber('BENCH_REPAIR_CONCURRENCY', 4),
  loadRate: envNumber('BENCH_LOAD_RATE', 300),
  loadSeconds: envNumber('BENCH_LOAD_SECONDS', 15),
  writeShare: 0.1,
  deadlineMs: envNumber('BENCH_DEADLINE_MS', 30 * 60_000),
  /** The worker's REPAIR_MAX_LATENCY_RATIO: 2 by default (paced), 0 for the unpaced rebuild of before. */
  pacingRatio: Number(process.env.BENCH_REPAIR_PACING ?? 2),
};
const records = Math.ceil(params.bytes / params.valueBytes);
const started = performance.now();
const runAt = new Date();
const loadAtStart = os.loadavg()[0];

// Ends by itself whatever happens: a hard deadline kills the run (children are stopped in `finally`).
const deadline = setTimeout(() => {
  console.error(`benchmark exceeded BENCH_DEADLINE_MS=${params.deadlineMs}; aborting`);
  process.exit(2);
}, params.deadlineMs);
deadline.unref();

const root = join(os.tmpdir(), `redoubt-bench-repair-${process.pid}`);
const redis = await startRedisServer({ dir: join(root, 'redis') });
const cluster = await DataNodeCluster.start({
  nodes: 3,
  partitions: params.partitions,
  logDir: join(root, 'logs'),
});
let worker: ServiceProcess | undefined;
const connection = createRedisConnection(redis.url, 'worker');
const producer = new JobProducer(connection, 'bench');

try {
  // ---- fill: every partition on all three nodes, streamed in (a few partitions at a time) ----
  console.log(
    `fill: ${(params.bytes / MiB).toFixed(0)} MiB in ${records.toLocaleString('en')} records of ${params.valueBytes} B over ${params.partitions} partitions, on 3 nodes ...`,
  );
  const keysByPartition: string[][] = Array.from({ length: params.partitions }, () => []);
  for (let i = 0; i < records; i++) {
    const key = `bench-${i.toString(36)}`;
    keysByPartition[partitionOf(key, params.partitions)]!.push(key);
  }
  const value = Buffer.alloc(params.valueBytes);
  for (let i = 0; i < value.length; i++) value[i] = (i * 2654435761) >>> 24;
  const version = cluster.nextVersion('bench');
  const recordsOf = function* (partition: number): Iterable<StoredRecord> {
    for (const key of keysByPartition[partition]!) {
      yield makeRecord({ key, value, contentType: 'application/octet-stream', version, tombstone: false });
    }
  };
  const fillStarted = performance.now();
  await inLanes(params.partitions, 4, async (partition) => {
    await Promise.all(cluster.nodes.map((node) => node.client.streamIn(partition, recordsOf(partition))));
  });
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  const stored = await totals('d1');
  console.log(`  ${(stored.bytes / MiB).toFixed(0)} MiB per node in ${fillSeconds.toFixed(1)} s`);

  // ---- the worker ----
  const port = await freePort();
  worker = new ServiceProcess({
    name: 'backup-worker',
    app: 'backup-worker',
    env: {
      WORKER_ID: 'bench',
      WORKER_PORT: String(port),
      ADMIN_KEY: 'bench-admin-key-0123456789abcdef',
      CLUSTER_TOKEN: cluster.clusterToken,
      DATA_NODES: cluster.dataNodesEnv,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'bench',
      PARTITIONS: String(params.partitions),
      REPLICAS: '3',
      REPAIR_CONCURRENCY: String(params.repairConcurrency),
      BANDWIDTH_LIMIT_MB_S: '0',
      REPAIR_MAX_LATENCY_RATIO: String(params.pacingRatio),
      ANTI_ENTROPY_EVERY_MS: '0',
      SCRUB_EVERY_MS: '0',
      LOG_LEVEL: 'warn',
    },
    readyUrl: `http://127.0.0.1:${port}/readyz`,
    readyTimeoutMs: 60_000,
    log: join(root, 'logs', 'backup-worker.log'),
  });
  await worker.start();

  // ---- baseline: the client load alone ----
  console.log(
    `baseline: ${params.loadRate} ops/s (${params.writeShare * 100}% writes) for ${params.loadSeconds} s ...`,
  );
  const allKeys = keysByPartition.flat();
  const baseline = await runLoad(allKeys, params.loadSeconds * 1000);
  console.log(
    `  p50 ${baseline.p50Ms.toFixed(2)} ms, p99 ${baseline.p99Ms.toFixed(2)} ms, ${baseline.errors} errors`,
  );

  // ---- raw copy: the same rebuild as a bare stream d1 -> d3 (no worker, no digests), same load ----
  // The baseline for the rebuild rate: what the data nodes and this machine can do at that moment.
  console.log('raw copy baseline: wipe d3, stream every partition from d1 into it (4 at a time) ...');
  const wipe = async () => {
    for (let p = 0; p < params.partitions; p++) await cluster.node('d3').client.dropPartition(p);
  };
  await wipe();
  const rawLoad = runLoad(allKeys, Infinity);
  const rawStarted = performance.now();
  await inLanes(params.partitions, params.repairConcurrency, async (p) => {
    await cluster.node('d3').client.streamIn(p, cluster.node('d1').client.streamOut(p));
  });
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  rawLoad.stop();
  const rawDuring = await rawLoad.result;
  const rawBytes = (await totals('d3')).bytes;
  const raw = {
    bytes: rawBytes,
    seconds: rawSeconds,
    MBps: rawBytes / MB / rawSeconds,
    clientLatency: rawDuring,
  };
  console.log(`  ${raw.MBps.toFixed(1)} MB/s; client p99 ${rawDuring.p99Ms.toFixed(2)} ms`);

  // ---- rebuild: wipe d3, enqueue a repair per partition, same load meanwhile ----
  console.log('wipe d3, then rebuild it through repair-partition jobs ...');
  await wipe();
  const queue = producer.queue(QUEUES.repairPartition);
  const rebuildStarted = performance.now();
  for (let p = 0; p < params.partitions; p++) {
    await producer.repairPartition(
      { partition: p, reason: 'recovery' },
      { jobId: `bench-${p}`, priority: PRIORITY.belowR },
    );
  }
  const load = runLoad(allKeys, Infinity);
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed');
    if ((counts.completed ?? 0) + (counts.failed ?? 0) >= params.partitions) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
  load.stop();
  const during = await load.result;
  const failed = (await queue.getJobCounts('failed')).failed ?? 0;
  const rebuilt = await totals('d3');
  const converged = await cluster.converged();
  const rebuild = {
    bytes: rebuilt.bytes,
    records: rebuilt.records,
    seconds: rebuildSeconds,
    MBps: rebuilt.bytes / MB / rebuildSeconds,
    MiBps: rebuilt.bytes / MiB / rebuildSeconds,
    recordsPerSecond: rebuilt.records / rebuildSeconds,
    failedJobs: failed,
    converged,
  };
  console.log(
    `  ${(rebuild.bytes / MiB).toFixed(0)} MiB, ${rebuild.records.toLocaleString('en')} records in ${rebuildSeconds.toFixed(1)} s: ` +
      `${rebuild.MBps.toFixed(1)} MB/s, ${rebuild.recordsPerSecond.toFixed(0)} records/s; converged=${converged}, failed jobs=${failed}`,
  );
  console.log(
    `  client during rebuild: p50 ${during.p50Ms.toFixed(2)} ms, p99 ${during.p99Ms.toFixed(2)} ms, ${during.errors} errors`,
  );

  const targetMBps = 50;
  const cassandraDefaultMBps = (24 * MiB) / MB; // stream_throughput_outbound: 24 MiB/s
  const result = {
    benchmark: 'repair',
    at: runAt.toISOString(),
    seconds: (performance.now() - started) / 1000,
    environment: {
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      platform: `${os.platform()} ${os.arch()}`,
      // Other work on the machine skews every figure: the 1-minute load average at the start and the end.
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg()[0],
    },
    parameters: {
      ...params,
      records,
      nodes: 3,
      replicas: 3,
      bandwidthLimit: 'none',
      pacing: params.pacingRatio > 0 ? `latency pacer, ratio ${params.pacingRatio}` : 'none',
    },
    fill: { bytesPerNode: stored.bytes, recordsPerNode: stored.records, seconds: fillSeconds },
    rawCopyBaseline: raw,
    rebuild: {
      ...rebuild,
      ratioToRawCopy: rebuild.MBps / raw.MBps,
      targetMBps,
      ratioToTarget: rebuild.MBps / targetMBps,
      cassandraDefaultCapMBps: cassandraDefaultMBps,
      ratioToCassandraDefaultCap: rebuild.MBps / cassandraDefaultMBps,
    },
    clientLatency: {
      load: `${params.loadRate} ops/s open loop: reads from d1 and d2 (R=2, latency of the slower), writes to all three (W=2, latency of the second)`,
      baseline,
      duringRebuild: during,
      p99RatioToBaseline: during.p99Ms / baseline.p99Ms,
      p50RatioToBaseline: during.p50Ms / baseline.p50Ms,
    },
  };
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `repair-${runAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(
    `\n| rebuild | MB/s | records/s | vs raw copy | vs 50 MB/s target | vs Cassandra 24 MiB/s | client p99 baseline | p99 during | ratio |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  console.log(
    `| ${(rebuild.bytes / MiB).toFixed(0)} MiB | ${rebuild.MBps.toFixed(1)} | ${rebuild.recordsPerSecond.toFixed(0)} | ` +
      `${result.rebuild.ratioToRawCopy.toFixed(2)}x | ${result.rebuild.ratioToTarget.toFixed(2)}x | ${result.rebuild.ratioToCassandraDefaultCap.toFixed(2)}x | ` +
      `${baseline.p99Ms.toFixed(2)} ms | ${during.p99Ms.toFixed(2)} ms | ${result.clientLatency.p99RatioToBaseline.toFixed(2)}x |`,
  );
  console.log(
    `\nclient p99 during the rebuild: ${during.p99Ms.toFixed(2)} ms against ${baseline.p99Ms.toFixed(2)} ms without: ` +
      `${result.clientLatency.p99RatioToBaseline.toFixed(2)}x (objective: within 3x; pacing: ${result.parameters.pacing}); ` +
      `time back to R (every replica of the wiped node rebuilt): ${rebuildSeconds.toFixed(1)} s`,
  );
  console.log(`\nwritten ${file}`);
} finally {
  await worker?.stop(10_000);
  await producer.close();
  connection.disconnect();
  await cluster.stop();
  await redis.stop();
  clearTimeout(deadline);
}

async function totals(node: string): Promise<{ bytes: number; records: number }> {
  const list = await cluster.node(node).client.listPartitions();
  return list.reduce((a, p) => ({ bytes: a.bytes + p.bytes, records: a.records + p.records }), {
    bytes: 0,
    records: 0,
  });
}

async function inLanes(count: number, lanes: number, body: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) await body(next++);
    }),
  );
}

interface LoadResult {
  ops: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * An open-loop client load at a fixed rate (so both phases offer the same work whatever the latency), like
 * the gateway's quorum operations: a read asks d1 and d2 and waits for both (R=2); a write goes to all three
 * and completes at the second ack (W=2).
 */
function runLoad(
  keys: string[],
  durationMs: number,
): Promise<LoadResult> & { stop(): void; result: Promise<LoadResult> } {
  let stopped = false;
  const latencies: number[] = [];
  let errors = 0;
  let inFlight = 0;
  const [d1, d2, d3] = ['d1', 'd2', 'd3'].map((id) => cluster.node(id).client);
  const op = async (i: number) => {
    const key = keys[(i * 7919) % keys.length]!;
    const partition = partitionOf(key, params.partitions);
    const t = performance.now();
    try {
      if (Math.random() < params.writeShare) {
        const record = cluster.record(key, value.subarray(0, 1024));
        await secondOf([d1!, d2!, d3!].map((n) => n.put(partition, record)));
      } else {
        await Promise.all([d1!.get(partition, key), d2!.get(partition, key)]);
      }
      latencies.push(performance.now() - t);
    } catch {
      errors++;
    }
  };
  const value = Buffer.alloc(1024, 1);
  const result = (async () => {
    const begin = performance.now();
    let i = 0;
    while (!stopped && performance.now() - begin < durationMs) {
      const due = begin + (i * 1000) / params.loadRate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (inFlight < 512) {
        inFlight++;
        void op(i).finally(() => inFlight--);
      } else {
        errors++; // the system could not keep up: counted, not queued without bound
      }
      i++;
    }
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return { ops: latencies.length, errors, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: latencies.at(-1) ?? 0 };
  })();
  return Object.assign(result, { stop: () => void (stopped = true), result });
}

function secondOf(promises: Promise<unknown>[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let ok = 0;
    let failed = 0;
    for (const p of promises) {
      p.then(
        () => ++ok === 2 && resolve(),
        () => ++failed > promises.length - 2 && reject(new Error('write quorum not reached')),
      );
    }
  });
}
