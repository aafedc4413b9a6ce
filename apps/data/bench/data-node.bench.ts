/**
 * Data node benchmark (not a test: nothing here asserts). One data node as a real process; a
 * DataNodeClient in this process issues PUTs then GETs of 256-byte values, closed loop, at several
 * concurrencies, each cell bounded by duration (BENCH_DURATION_MS, default 4 s), in two modes:
 *   - coalesced: the client as shipped (maxInFlight 4, batches of up to 256 ops);
 *   - baseline: one HTTP request per op (maxBatchOps 1, maxInFlight = concurrency), which is what a
 *     plain request-per-call client would do against the same node, disk and commit path.
 * Every PUT is acknowledged only after its durable commit in both modes. Writes
 * <repo>/bench/results/data-node-<timestamp>.json and prints ops/s and coalesced/baseline ratios.
 *
 *   npm run bench -w @redoubt/data      or      npx nx run @redoubt/data:bench
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { partitionOf } from '@redoubt/hashing';
import { REPO_ROOT } from '@redoubt/local-stack';
import { record, startDataNode, version } from '../src/testing/data-node-process.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4_000);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,16,64,256').split(',').map(Number);
const PARTITIONS = 4096;
const VALUE = Buffer.alloc(256, 0x61);

interface Cell {
  mode: 'coalesced' | 'baseline';
  op: 'put' | 'get';
  concurrency: number;
  ops: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

const node = await startDataNode({ id: 'bench', partitions: PARTITIONS });
const cells: Cell[] = [];
let wall = 1_000_000;
const started = performance.now();
try {
  for (const concurrency of CONCURRENCY) {
    for (const mode of ['baseline', 'coalesced'] as const) {
      const client = node.client(
        mode === 'coalesced'
          ? { timeoutMs: 10_000 }
          : { timeoutMs: 10_000, maxBatchOps: 1, maxInFlight: concurrency, connections: concurrency },
      );
      const keys: string[] = [];
      for (const op of ['put', 'get'] as const) {
        const latencies: number[] = [];
        let errors = 0;
        const deadline = performance.now() + DURATION_MS;
        let n = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (performance.now() < deadline) {
              const i = n++;
              const key = op === 'put' ? `${mode}-${concurrency}-${i}` : keys[i % keys.length]!;
              const t = performance.now();
              try {
                if (op === 'put') {
                  await client.put(partitionOf(key, PARTITIONS), record(key, VALUE, version(wall++)));
                  keys.push(key);
                } else {
                  await client.get(partitionOf(key, PARTITIONS), key);
                }
                latencies.push(performance.now() - t);
              } catch {
                errors++;
              }
            }
          }),
        );
        latencies.sort((a, b) => a - b);
        const cell: Cell = {
          mode,
          op,
          concurrency,
          ops: latencies.length,
          opsPerSecond: latencies.length / (DURATION_MS / 1000),
          p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
          p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
          errors,
        };
        cells.push(cell);
        console.log(
          `${mode.padEnd(9)} ${op} c=${String(concurrency).padStart(3)}: ${Math.round(cell.opsPerSecond)} ops/s, p50 ${cell.p50Ms.toFixed(2)} ms, p99 ${cell.p99Ms.toFixed(2)} ms${errors ? `, ${errors} errors` : ''}`,
        );
      }
      await client.close();
    }
  }
} finally {
  await node.dispose();
}

const ratios = cells
  .filter((c) => c.mode === 'coalesced')
  .map((c) => {
    const base = cells.find(
      (b) => b.mode === 'baseline' && b.op === c.op && b.concurrency === c.concurrency,
    )!;
    return { op: c.op, concurrency: c.concurrency, ratioToBaseline: c.opsPerSecond / base.opsPerSecond };
  });
console.log('\n| op | concurrency | coalesced / one-request-per-op |\n| --- | --- | --- |');
for (const r of ratios) console.log(`| ${r.op} | ${r.concurrency} | ${r.ratioToBaseline.toFixed(2)} |`);

const at = new Date();
const result = {
  benchmark: 'data-node',
  at: at.toISOString(),
  seconds: (performance.now() - started) / 1000,
  environment: {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverage: os.loadavg(),
    platform: `${os.platform()} ${os.arch()}`,
  },
  parameters: {
    durationMs: DURATION_MS,
    concurrency: CONCURRENCY,
    partitions: PARTITIONS,
    valueBytes: VALUE.length,
  },
  baseline: 'one HTTP request per op (maxBatchOps 1) against the same node, same run',
  cells,
  ratios,
};
const dir = join(REPO_ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `data-node-${at.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
console.log(`\nwrote ${file}`);
