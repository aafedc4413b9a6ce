// Benchmark of @redoubt/backup (not a test): back up and restore BACKUP_BENCH_BYTES (default 1 GB) of
// records spread over every partition of a real 3-node cluster, against a raw sequential file copy of the
// same bytes measured in the same run; plus the compression table behind the default codec. Target: a
// 1 GB restore into an empty cluster in at most 60 s. Writes <repo>/bench/results/backup-<timestamp>.json.
//
//   npm run bench:backup -w @redoubt/backup            BACKUP_BENCH_BYTES=200000000 to scale down
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { makeRecord, formatVersion, type StoredRecord } from '@redoubt/records';
import { partitionOf } from '@redoubt/hashing';
import {
  backupMatrix,
  directoryTarget,
  backupPartition,
  planRestore,
  restorePartitions,
  targetsOfPartition,
  type BackupTarget,
  type Compression,
} from '../src/index.js';
import { encodeRecordFrame } from '../src/record-framing.js';
import { TestCluster } from '../src/testing/index.js';

const TOTAL_BYTES = Number(process.env.BACKUP_BENCH_BYTES ?? 1_000_000_000);
const PARTITIONS = Number(process.env.BACKUP_BENCH_PARTITIONS ?? 64);
const VALUE_BYTES = Number(process.env.BACKUP_BENCH_VALUE_BYTES ?? 4096);
const COPIES = Number(process.env.BACKUP_BENCH_COPIES ?? 1);
const BACKUP_CONCURRENCY = Number(process.env.BACKUP_BENCH_CONCURRENCY ?? 2);
const RESTORE_CONCURRENCY = Number(process.env.BACKUP_BENCH_RESTORE_CONCURRENCY ?? 4);
const KEY = Buffer.alloc(32, 0x3c);
const SIGNING = { key: Buffer.alloc(32, 0x5a) };
const TARGET_RESTORE_SECONDS_PER_GB = 60;

const runAt = new Date();
const loadAtStart = os.loadavg();
const started = performance.now();
const mb = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`);

/**
 * Values like application documents: JSON with a few repeated fields and a random body (hex), so they
 * compress about 2:1, as text does, rather than not at all (random) or absurdly well (zeros).
 */
function valueOf(i: number): Buffer {
  const body = randomBytes(Math.max(16, (VALUE_BYTES - 120) >> 1)).toString('hex');
  return Buffer.from(
    JSON.stringify({ id: i, owner: `user-${i % 977}`, kind: ['order', 'invoice', 'event'][i % 3], body }),
  );
}

function recordOf(i: number, wall: number): StoredRecord {
  return makeRecord({
    key: `bench-${i}`,
    value: valueOf(i),
    contentType: 'application/json',
    version: formatVersion({ wall, logical: i % 0xffff, writer: 'bench' }),
    tombstone: false,
  });
}

/** Compression table: every candidate on the same 32 MiB of record frames, best of 3. */
function compressionTable(): {
  codec: string;
  level: number;
  ratio: number;
  compressMBs: number;
  decompressMBs: number;
}[] {
  const frames: Buffer[] = [];
  let size = 0;
  for (let i = 0; size < 32 * 1024 * 1024; i++) {
    const frame = encodeRecordFrame(recordOf(i, 1_700_000_000_000));
    frames.push(frame);
    size += frame.length;
  }
  const input = Buffer.concat(frames);
  const candidates: Compression[] = [
    { codec: 'brotli', level: 1 },
    { codec: 'brotli', level: 4 },
    { codec: 'gzip', level: 1 },
    { codec: 'gzip', level: 6 },
    { codec: 'deflate', level: 1 },
  ];
  return candidates.map(({ codec, level }) => {
    let compressMs = Infinity;
    let decompressMs = Infinity;
    let out = Buffer.alloc(0);
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      out =
        codec === 'brotli'
          ? zlib.brotliCompressSync(input, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level } })
          : codec === 'gzip'
            ? zlib.gzipSync(input, { level })
            : zlib.deflateRawSync(input, { level });
      const t1 = performance.now();
      if (codec === 'brotli') zlib.brotliDecompressSync(out);
      else if (codec === 'gzip') zlib.gunzipSync(out);
      else zlib.inflateRawSync(out);
      const t2 = performance.now();
      compressMs = Math.min(compressMs, t1 - t0);
      decompressMs = Math.min(decompressMs, t2 - t1);
    }
    return {
      codec,
      level,
      ratio: out.length / input.length,
      compressMBs: mb(input.length, compressMs),
      decompressMBs: mb(input.length, decompressMs),
    };
  });
}

/** Baseline: the same number of bytes written to a file, then copied sequentially (read + write + fsync). */
async function rawCopyBaseline(dir: string, bytes: number): Promise<{ writeMBs: number; copyMBs: number }> {
  const src = join(dir, 'baseline-src');
  const dst = join(dir, 'baseline-dst');
  const chunk = randomBytes(4 * 1024 * 1024);
  let t = performance.now();
  const out = await open(src, 'w');
  for (let written = 0; written < bytes; written += chunk.length)
    await out.write(chunk, 0, Math.min(chunk.length, bytes - written));
  await out.sync();
  await out.close();
  const writeMs = performance.now() - t;
  t = performance.now();
  const dest = createWriteStream(dst);
  await pipeline(createReadStream(src, { highWaterMark: 1024 * 1024 }), dest);
  const handle = await open(dst, 'r');
  await handle.sync();
  await handle.close();
  const copyMs = performance.now() - t;
  await rm(src);
  await rm(dst);
  return { writeMBs: mb(bytes, writeMs), copyMBs: mb(bytes, copyMs) };
}

async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const scratch = await mkdtemp(join(os.tmpdir(), 'redoubt-backup-bench-'));
log(
  `cluster: 3 data nodes, ${PARTITIONS} partitions, 3 replicas; data ${(TOTAL_BYTES / 1e9).toFixed(2)} GB in ${VALUE_BYTES}-byte values`,
);
const cluster = await TestCluster.start({ nodes: 3, partitions: PARTITIONS, replicas: 3, logDir: undefined });
try {
  const compression = compressionTable();
  log(
    `compression table: ${compression.map((c) => `${c.codec}:${c.level} ${c.compressMBs.toFixed(0)} MB/s x${c.ratio.toFixed(2)}`).join(', ')}`,
  );

  // Load: records generated in memory and streamed into every replica, as many partitions at once as the
  // restore will use. This is the cluster's own ingest rate (no backup read, no decryption): the floor
  // that no restore into these nodes can beat, reported next to the restore.
  const perRecord = encodeRecordFrame(recordOf(0, 1)).length;
  const count = Math.ceil(TOTAL_BYTES / perRecord);
  const byPartition: number[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < count; i++) byPartition[partitionOf(`bench-${i}`, PARTITIONS)]!.push(i);
  const wall = Date.now();
  let t = performance.now();
  await runPool([...byPartition.keys()], RESTORE_CONCURRENCY, async (p) => {
    const ids = byPartition[p]!;
    await Promise.all(
      cluster.map.replicasOf(p).map((replica) =>
        replica.streamIn(
          p,
          (function* () {
            for (const i of ids) yield recordOf(i, wall);
          })(),
        ),
      ),
    );
  });
  const loadMs = performance.now() - t;
  log(`loaded ${count} records into 3 replicas in ${(loadMs / 1000).toFixed(1)} s`);
  const digestsBefore = await Promise.all(
    [...byPartition.keys()].map(async (p) => (await cluster.map.replicasOf(p)[0]!.digest(p)).root),
  );

  const baseline = await rawCopyBaseline(scratch, TOTAL_BYTES);
  log(
    `baseline: sequential write ${baseline.writeMBs.toFixed(0)} MB/s, copy ${baseline.copyMBs.toFixed(0)} MB/s`,
  );

  const targets: BackupTarget[] = [1, 2, 3].map((i) => directoryTarget(`t${i}`, join(scratch, `t${i}`)));
  const matrix = backupMatrix(targets, PARTITIONS, COPIES);
  const pairs = [...byPartition.keys()].flatMap((p) =>
    targetsOfPartition(matrix, targets, p).map((target) => ({ p, target })),
  );
  let rawBytes = 0;
  let storedBytes = 0;
  t = performance.now();
  await runPool(pairs, BACKUP_CONCURRENCY, async ({ p, target }) => {
    const r = await backupPartition({
      partition: p,
      partitions: PARTITIONS,
      target,
      replicas: cluster.map.replicasOf(p),
      kind: 'full',
      key: KEY,
      signing: SIGNING,
    });
    rawBytes += r.manifest.rawBytes;
    storedBytes += r.manifest.bytes;
  });
  const backupMs = performance.now() - t;
  log(
    `backup: ${(rawBytes / 1e6).toFixed(0)} MB raw -> ${(storedBytes / 1e6).toFixed(0)} MB stored in ${(backupMs / 1000).toFixed(1)} s = ${mb(rawBytes, backupMs).toFixed(0)} MB/s`,
  );

  await cluster.wipeAll();
  log('wiped every data node');
  t = performance.now();
  const plan = await planRestore(targets, [...byPartition.keys()], SIGNING);
  const summary = await restorePartitions({
    plan,
    targets,
    partitions: PARTITIONS,
    replicasOf: (p) => cluster.map.replicasOf(p),
    key: KEY,
    signing: SIGNING,
    concurrency: RESTORE_CONCURRENCY,
  });
  const restoreMs = performance.now() - t;
  const digestsAfter = await Promise.all(
    [...byPartition.keys()].map(async (p) => (await cluster.map.replicasOf(p)[2]!.digest(p)).root),
  );
  const identical = digestsAfter.every((root, p) => root === digestsBefore[p]);
  log(
    `restore: ${summary.records} records (${(summary.rawBytes / 1e6).toFixed(0)} MB) into 3 replicas each in ${(restoreMs / 1000).toFixed(1)} s = ${mb(summary.rawBytes, restoreMs).toFixed(0)} MB/s; ok=${summary.ok}, digests identical=${identical}`,
  );

  const restoreSecondsPerGB = restoreMs / 1000 / (summary.rawBytes / 1e9);
  const result = {
    benchmark: 'backup',
    at: runAt.toISOString(),
    seconds: (performance.now() - started) / 1000,
    environment: {
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      platform: `${os.platform()} ${os.arch()}`,
      loadAverage: os.loadavg(),
    },
    parameters: {
      bytes: TOTAL_BYTES,
      partitions: PARTITIONS,
      valueBytes: VALUE_BYTES,
      records: count,
      replicas: 3,
      copies: COPIES,
      backupConcurrency: BACKUP_CONCURRENCY,
      restoreConcurrency: RESTORE_CONCURRENCY,
      compression: 'brotli:1',
      encryption: 'aes-256-gcm',
    },
    baseline: { sequentialWriteMBs: baseline.writeMBs, sequentialCopyMBs: baseline.copyMBs },
    ingestFloor: { seconds: loadMs / 1000, MBs: mb(summary.rawBytes, loadMs) },
    backup: {
      seconds: backupMs / 1000,
      rawBytes,
      storedBytes,
      ratio: storedBytes / rawBytes,
      MBs: mb(rawBytes, backupMs),
      vsCopy: mb(rawBytes, backupMs) / baseline.copyMBs,
    },
    restore: {
      seconds: restoreMs / 1000,
      rawBytes: summary.rawBytes,
      records: summary.records,
      MBs: mb(summary.rawBytes, restoreMs),
      replicaMBs: mb(summary.rawBytes * 3, restoreMs),
      vsCopy: mb(summary.rawBytes, restoreMs) / baseline.copyMBs,
      vsIngestFloor: loadMs / restoreMs,
      secondsPerGB: restoreSecondsPerGB,
      targetSecondsPerGB: TARGET_RESTORE_SECONDS_PER_GB,
      meetsTarget: restoreSecondsPerGB <= TARGET_RESTORE_SECONDS_PER_GB,
      ok: summary.ok,
      digestsIdentical: identical,
    },
    compression,
    digest: createHash('sha256').update(JSON.stringify(digestsBefore)).digest('hex').slice(0, 16),
  };
  const dir = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `backup-${runAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`
| phase | seconds | MB/s | vs raw copy (${baseline.copyMBs.toFixed(0)} MB/s) |
| --- | --- | --- | --- |
| backup (read 1 replica, brotli:1, AES-GCM, fsync) | ${result.backup.seconds.toFixed(1)} | ${result.backup.MBs.toFixed(0)} | ${result.backup.vsCopy.toFixed(2)}x |
| restore (verify, decrypt, 3 replicas merge + fsync) | ${result.restore.seconds.toFixed(1)} | ${result.restore.MBs.toFixed(0)} | ${result.restore.vsCopy.toFixed(2)}x |
| cluster ingest floor (records from memory, no backup) | ${result.ingestFloor.seconds.toFixed(1)} | ${result.ingestFloor.MBs.toFixed(0)} | ${(result.ingestFloor.MBs / baseline.copyMBs).toFixed(2)}x |

restore: ${restoreSecondsPerGB.toFixed(1)} s per GB (target <= ${TARGET_RESTORE_SECONDS_PER_GB} s): ${result.restore.meetsTarget ? 'met' : 'NOT met'}; ${(result.restore.vsIngestFloor * 100).toFixed(0)} % of the cluster's own ingest rate; stored/raw ${result.backup.ratio.toFixed(2)}
load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} -> ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${os.cpus().length} cores
wrote ${file}`);
  if (!summary.ok || !identical) process.exitCode = 1;
} finally {
  await cluster.stop();
  await rm(scratch, { recursive: true, force: true });
}
