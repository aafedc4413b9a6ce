// Benchmark of backups and restores (not a test): BACKUP_BENCH_BYTES (default 1 GB) of records spread over
// the partitions of a real 3-node cluster, backed up and then restored into the emptied cluster, once per
// target kind: a directory, and an S3 bucket on a real s3rver on loopback. Measured in the same run, as
// baselines: a raw sequential copy of the same bytes, and the cluster's own ingest rate (the same records
// streamed from memory into every replica: no restore into these nodes can be faster). Target: a 1 GB
// restore into an empty cluster in at most 30 s from each kind. Writes
// <repo>/bench/results/backup-<timestamp>.json and prints its table; `--table <result file>` prints the
// table of an earlier result (the README's tables are made that way).
//
//   npm run bench:backup            BACKUP_BENCH_BYTES=200000000 to scale down, BACKUP_BENCH_TARGETS=s3
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { makeRecord, formatVersion, encodeMessage, type StoredRecord } from '@redoubt/records';
import { partitionOf } from '@redoubt/hashing';
import {
  backupPartition,
  directoryTarget,
  fanOut,
  planRestore,
  restorePartitions,
  type BackupTarget,
  type Compression,
} from '@redoubt/backup';
import { TestCluster } from '@redoubt/backup/testing';
import { S3BackupStore } from '../src/index.js';
import { startS3rver } from '../src/testing/index.js';
import { backupTable, type BackupBenchResult, type KindResult } from './backup-table.js';

if (process.argv[2] === '--table') {
  console.log(backupTable(JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as BackupBenchResult));
  process.exit(0);
}

const TOTAL_BYTES = Number(process.env.BACKUP_BENCH_BYTES ?? 1_000_000_000);
const PARTITIONS = Number(process.env.BACKUP_BENCH_PARTITIONS ?? 64);
const VALUE_BYTES = Number(process.env.BACKUP_BENCH_VALUE_BYTES ?? 4096);
/** The backup-worker's defaults (BACKUP_CONCURRENCY, RESTORE_CONCURRENCY). */
const BACKUP_CONCURRENCY = Number(process.env.BACKUP_BENCH_CONCURRENCY ?? 8);
const RESTORE_CONCURRENCY = Number(process.env.BACKUP_BENCH_RESTORE_CONCURRENCY ?? 4);
const KINDS = (process.env.BACKUP_BENCH_TARGETS ?? 'directory,s3').split(',') as ('directory' | 's3')[];
const KEY = Buffer.alloc(32, 0x3c);
const SIGNING = { key: Buffer.alloc(32, 0x5a) };
const TARGET_RESTORE_SECONDS_PER_GB = 30;

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

/** A record as a segment holds it: 4-byte length, MessagePack (record-framing.ts of @redoubt/backup). */
function segmentFrame(record: StoredRecord): Buffer {
  const body = encodeMessage(record);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Compression table: every candidate on the same 32 MiB of record frames, best of 3. */
function compressionTable(): BackupBenchResult['compression'] {
  const frames: Buffer[] = [];
  let size = 0;
  for (let i = 0; size < 32 * 1024 * 1024; i++) {
    const frame = segmentFrame(recordOf(i, 1_700_000_000_000));
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
  await pipeline(createReadStream(src, { highWaterMark: 1024 * 1024 }), createWriteStream(dst));
  const handle = await open(dst, 'r');
  await handle.sync();
  await handle.close();
  const copyMs = performance.now() - t;
  await rm(src);
  await rm(dst);
  return { writeMBs: mb(bytes, writeMs), copyMBs: mb(bytes, copyMs) };
}

async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** CPU seconds of processes (this one included) from /proc: where a phase's CPU went. */
function cpuSeconds(pids: readonly number[]): number {
  const tick = 100; // USER_HZ on Linux
  return pids.reduce((sum, pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      return sum;
    }
  }, 0);
}

const scratch = await mkdtemp(join(os.tmpdir(), 'redoubt-backup-bench-'));
log(
  `cluster: 3 data nodes, ${PARTITIONS} partitions, 3 replicas; data ${(TOTAL_BYTES / 1e9).toFixed(2)} GB in ${VALUE_BYTES}-byte values; targets ${KINDS.join(', ')}`,
);
const [cluster, s3] = await Promise.all([
  TestCluster.start({ nodes: 3, partitions: PARTITIONS, replicas: 3, logDir: undefined }),
  startS3rver({ dir: join(scratch, 's3'), buckets: ['bench'] }),
]);
try {
  // Read at each phase's start and end: a wipe restarts the data nodes (new pids, counters from 0).
  const cpuOf = () => ({
    bench: cpuSeconds([process.pid]),
    dataNodes: cpuSeconds(
      cluster.nodes.map((n) => n.process.pid()).filter((p): p is number => p !== undefined),
    ),
    s3rver: cpuSeconds(s3.process.pid === undefined ? [] : [s3.process.pid]),
  });
  const compression = compressionTable();
  log(
    `compression table: ${compression.map((c) => `${c.codec}:${c.level} ${c.compressMBs.toFixed(0)} MB/s x${c.ratio.toFixed(2)}`).join(', ')}`,
  );

  // Load: each record generated once in memory and streamed into every replica (fanned out as a restore
  // does), as many partitions at once as the restore uses: the cluster's own ingest rate.
  const perRecord = segmentFrame(recordOf(0, 1)).length;
  const count = Math.ceil(TOTAL_BYTES / perRecord);
  const byPartition: number[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < count; i++) byPartition[partitionOf(`bench-${i}`, PARTITIONS)]!.push(i);
  const partitions = [...byPartition.keys()];
  const wall = Date.now();
  let t = performance.now();
  await runPool(partitions, RESTORE_CONCURRENCY, async (p) => {
    const ids = byPartition[p]!;
    const source = (async function* () {
      for (const i of ids) yield recordOf(i, wall);
    })();
    const settled = await fanOut(
      source,
      cluster.map
        .replicasOf(p)
        .map((replica) => (items: AsyncIterable<StoredRecord>) => replica.streamIn(p, items)),
    );
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
  });
  const loadMs = performance.now() - t;
  log(`loaded ${count} records into 3 replicas in ${(loadMs / 1000).toFixed(1)} s`);
  const digestsOf = (replica: number) =>
    Promise.all(partitions.map(async (p) => (await cluster.map.replicasOf(p)[replica]!.digest(p)).root));
  const digestsBefore = await digestsOf(0);

  const baseline = await rawCopyBaseline(scratch, TOTAL_BYTES);
  log(
    `baseline: sequential write ${baseline.writeMBs.toFixed(0)} MB/s, copy ${baseline.copyMBs.toFixed(0)} MB/s`,
  );

  const kinds: KindResult[] = [];
  for (const kind of KINDS) {
    const target: BackupTarget =
      kind === 'directory'
        ? directoryTarget('dir', join(scratch, 'dir'))
        : {
            id: 's3',
            location: `s3://bench/${runAt.getTime()}`,
            store: new S3BackupStore(
              {
                bucket: 'bench',
                prefix: String(runAt.getTime()),
                endpoint: s3.endpoint,
                region: 'us-east-1',
                forcePathStyle: true,
                credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
              },
              's3',
            ),
          };
    let rawBytes = 0;
    let storedBytes = 0;
    let cpu = cpuOf();
    t = performance.now();
    await runPool(partitions, BACKUP_CONCURRENCY, async (p) => {
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
    const backupCpu = diffCpu(cpu, cpuOf());
    log(
      `${kind} backup: ${(rawBytes / 1e6).toFixed(0)} MB raw -> ${(storedBytes / 1e6).toFixed(0)} MB stored in ${(backupMs / 1000).toFixed(1)} s = ${mb(rawBytes, backupMs).toFixed(0)} MB/s`,
    );

    await cluster.wipeAll();
    log('wiped every data node');
    cpu = cpuOf();
    t = performance.now();
    const plan = await planRestore([target], partitions, SIGNING);
    const summary = await restorePartitions({
      plan,
      targets: [target],
      partitions: PARTITIONS,
      replicasOf: (p) => cluster.map.replicasOf(p),
      key: KEY,
      signing: SIGNING,
      concurrency: RESTORE_CONCURRENCY,
    });
    const restoreMs = performance.now() - t;
    const restoreCpu = diffCpu(cpu, cpuOf());
    const after = await digestsOf(2);
    const identical = after.every((root, p) => root === digestsBefore[p]);
    log(
      `${kind} restore: ${summary.records} records (${(summary.rawBytes / 1e6).toFixed(0)} MB) into 3 replicas each in ${(restoreMs / 1000).toFixed(1)} s = ${mb(summary.rawBytes, restoreMs).toFixed(0)} MB/s; ok=${summary.ok}, digests identical=${identical}`,
    );
    const secondsPerGB = restoreMs / 1000 / (summary.rawBytes / 1e9);
    kinds.push({
      kind,
      backup: {
        seconds: backupMs / 1000,
        rawBytes,
        storedBytes,
        ratio: storedBytes / rawBytes,
        MBs: mb(rawBytes, backupMs),
        vsCopy: mb(rawBytes, backupMs) / baseline.copyMBs,
        cpuSeconds: backupCpu,
      },
      restore: {
        seconds: restoreMs / 1000,
        rawBytes: summary.rawBytes,
        records: summary.records,
        MBs: mb(summary.rawBytes, restoreMs),
        replicaMBs: mb(summary.rawBytes * 3, restoreMs),
        vsCopy: mb(summary.rawBytes, restoreMs) / baseline.copyMBs,
        vsIngestFloor: loadMs / restoreMs,
        secondsPerGB,
        targetSecondsPerGB: TARGET_RESTORE_SECONDS_PER_GB,
        meetsTarget: secondsPerGB <= TARGET_RESTORE_SECONDS_PER_GB,
        ok: summary.ok,
        digestsIdentical: identical,
        cpuSeconds: restoreCpu,
      },
    });
    (target.store as { close?: () => void }).close?.();
  }

  const result: BackupBenchResult = {
    benchmark: 'backup',
    at: runAt.toISOString(),
    seconds: (performance.now() - started) / 1000,
    environment: {
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      platform: `${os.platform()} ${os.arch()}`,
      loadAverage: os.loadavg(),
      loadAverageAtStart: loadAtStart,
    },
    parameters: {
      bytes: TOTAL_BYTES,
      partitions: PARTITIONS,
      valueBytes: VALUE_BYTES,
      records: count,
      replicas: 3,
      backupConcurrency: BACKUP_CONCURRENCY,
      restoreConcurrency: RESTORE_CONCURRENCY,
      compression: 'brotli:1',
      encryption: 'aes-256-gcm, format 2 (1 MiB chunks)',
      targets: KINDS,
    },
    baseline: { sequentialWriteMBs: baseline.writeMBs, sequentialCopyMBs: baseline.copyMBs },
    ingestFloor: { seconds: loadMs / 1000, MBs: mb(TOTAL_BYTES, loadMs) },
    kinds,
    compression,
    digest: createHash('sha256').update(JSON.stringify(digestsBefore)).digest('hex').slice(0, 16),
  };
  const dir = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `backup-${runAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`\n${backupTable(result)}\nwrote ${file}`);
  if (kinds.some((k) => !k.restore.ok || !k.restore.digestsIdentical)) process.exitCode = 1;
} finally {
  await Promise.allSettled([cluster.stop(), s3.stop()]);
  await rm(scratch, { recursive: true, force: true });
}

function diffCpu(
  before: { bench: number; dataNodes: number; s3rver: number },
  after: { bench: number; dataNodes: number; s3rver: number },
) {
  return {
    bench: after.bench - before.bench,
    dataNodes: after.dataNodes - before.dataNodes,
    s3rver: after.s3rver - before.s3rver,
  };
}
