// Benchmark of point-in-time undo (not a test): how long `restore --at T --replace --prefix P` takes when a
// prefix's keys hash over every one of 4096 partitions, so every partition's backups and replicas are read.
// A real 3-node cluster (4096 partitions, 3 replicas), UNDO_BENCH_KEYS keys (default 4000) of 256-byte
// values, a quarter of them under the prefix; one full backup of every partition (encrypted, 1 target);
// then, after T, 200 prefix keys overwritten, 50 deleted, 50 created; then the preview and the --yes run
// are timed and their counts checked. Writes <repo>/bench/results/undo-prefix-<timestamp>.json.
//
//   npx tsx libs/backup/bench/undo-prefix.bench.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  backupPartition,
  directoryTarget,
  undoToPointInTime,
  versionCeilingAt,
  type UndoSummary,
} from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';

const PARTITIONS = Number(process.env.UNDO_BENCH_PARTITIONS ?? 4096);
const KEYS = Number(process.env.UNDO_BENCH_KEYS ?? 4000);
const CONCURRENCY = Number(process.env.UNDO_BENCH_CONCURRENCY ?? 8);
const KEY = Buffer.alloc(32, 0x5d);
const SIGNING = { key: Buffer.alloc(32, 0x6e) };
const started = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`);
const value = (i: number, tag: string) => `{"i":${i},"tag":"${tag}","pad":"${'x'.repeat(220)}"}`;

async function eachOf(count: number, concurrency: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

const loadAtStart = os.loadavg();
const root = await mkdtemp(join(os.tmpdir(), 'redoubt-undo-bench-'));
const cluster = await TestCluster.start({ nodes: 3, partitions: PARTITIONS, replicas: 3 });
try {
  const target = directoryTarget('t1', join(root, 't1'));
  const keyOf = (i: number) => (i % 4 === 0 ? `hot/${i}` : `cold/${i}`);
  await cluster.writeAll(Array.from({ length: KEYS }, (_, i) => cluster.record(keyOf(i), value(i, 'v1'))));
  log(`${KEYS} keys written over ${PARTITIONS} partitions`);
  const backupBegun = performance.now();
  await eachOf(PARTITIONS, CONCURRENCY, async (partition) => {
    await backupPartition({
      partition,
      partitions: PARTITIONS,
      target,
      replicas: cluster.map.replicasOf(partition),
      kind: 'full',
      key: KEY,
      signing: SIGNING,
    });
  });
  const backupMs = performance.now() - backupBegun;
  log(`full backup of ${PARTITIONS} partitions in ${(backupMs / 1000).toFixed(1)} s`);
  await new Promise((r) => setTimeout(r, 20));
  const at = versionCeilingAt(Date.now());
  await new Promise((r) => setTimeout(r, 20));
  const hot = Array.from({ length: KEYS }, (_, i) => i).filter((i) => i % 4 === 0);
  await cluster.writeAll([
    ...hot.slice(0, 200).map((i) => cluster.record(keyOf(i), value(i, 'v2'))),
    ...hot.slice(200, 250).map((i) => cluster.tombstone(keyOf(i))),
    ...Array.from({ length: 50 }, (_, i) => cluster.record(`hot/new-${i}`, value(i, 'new'))),
  ]);
  const options = {
    scope: { prefix: 'hot/' },
    at,
    partitions: PARTITIONS,
    targets: [target],
    key: KEY,
    signing: SIGNING,
    replicasOf: (p: number) => cluster.map.replicasOf(p),
    readQuorum: 2,
    writeQuorum: 2,
    concurrency: CONCURRENCY,
  };
  const timed = async (apply: boolean): Promise<[UndoSummary, number]> => {
    const begun = performance.now();
    const summary = await undoToPointInTime({ ...options, apply });
    return [summary, performance.now() - begun];
  };
  const [preview, previewMs] = await timed(false);
  log(
    `preview: ${preview.preview.overwrite} overwrite, ${preview.preview.delete} delete, ${preview.preview.bringBack} bring back in ${(previewMs / 1000).toFixed(1)} s`,
  );
  const [applied, applyMs] = await timed(true);
  log(
    `--yes (preview pass + apply pass): ${applied.applied?.writes.written} written in ${(applyMs / 1000).toFixed(1)} s`,
  );
  const expected = { overwrite: 200, delete: 50, bringBack: 50 };
  const ok =
    preview.preview.overwrite === expected.overwrite &&
    preview.preview.delete === expected.delete &&
    preview.preview.bringBack === expected.bringBack &&
    applied.applied?.writes.written === 300 &&
    applied.applied.writes.failed === 0;
  const result = {
    benchmark: 'undo-prefix',
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadAtStart, loadAtEnd: os.loadavg() },
    partitions: PARTITIONS,
    keys: KEYS,
    prefixKeys: hot.length + 50,
    concurrency: CONCURRENCY,
    backupSeconds: backupMs / 1000,
    previewSeconds: previewMs / 1000,
    applySeconds: applyMs / 1000,
    preview: { ...preview.preview, sample: undefined },
    writes: applied.applied?.writes,
    ok,
  };
  const dir = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `undo-prefix-${result.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`${ok ? 'OK' : 'MISMATCH'}: ${file}`);
  if (!ok) process.exitCode = 1;
} finally {
  await cluster.stop();
  await rm(root, { recursive: true, force: true });
}
