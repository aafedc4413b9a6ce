/**
 * How long `redoubt backup now` takes on a small cluster at the defaults, as a newcomer runs it: the
 * local stack of `npm start` (4096 partitions, 3 data nodes, a gateway, the backup-worker with scheduled
 * backups to its s3rver bucket and a directory, 2 copies), BENCH_KEYS (500) keys written through the
 * gateway, then `redoubt backup now` (queue mode: through the backup-worker), then `--local` after more
 * writes, and each once more when nothing changed. Bounded: one stack, four CLI runs.
 * Writes bench/results/backup-now-<timestamp>.json.
 *
 *   npm run bench:backup-now -w @redoubt/cli
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSecret, startLocalStack } from '@redoubt/local-stack';

const keys = Number(process.env.BENCH_KEYS ?? 500);
const bin = fileURLToPath(new URL('../bin/redoubt.mjs', import.meta.url));
const results = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

const loadAtStart = os.loadavg();
const home = await mkdtemp(join(os.tmpdir(), 'redoubt-backup-now-'));
const secrets = { apiKey: generateSecret(), adminKey: generateSecret(), clusterToken: generateSecret() };
const stack = await startLocalStack({
  home,
  dataNodes: 3,
  gateways: 1,
  backups: true,
  keys: secrets,
  log: 'ignore',
});
const gateway = stack.gateways[0]!.url;

interface CliRun {
  code: number | null;
  ms: number;
  summary: { total: number; written: number; unchanged: number; empty: number; failed: number } | null;
}

function cli(args: string[]): Promise<CliRun> {
  const begun = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args, '--json'], {
      env: { ...process.env, REDOUBT_HOME: home },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => {
      let summary: CliRun['summary'] = null;
      try {
        const { total, written, unchanged, empty, failed } = JSON.parse(out) as NonNullable<
          CliRun['summary']
        >;
        summary = { total, written, unchanged, empty, failed };
      } catch {
        // no JSON: the exit code says what happened
      }
      resolve({ code, ms: Date.now() - begun, summary });
    });
  });
}

async function write(prefix: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < keys) {
        const i = next++;
        const res = await fetch(`${gateway}/v1/kv/${prefix}-${i}`, {
          method: 'PUT',
          body: `${prefix} value ${i} `.repeat(8),
          headers: { authorization: `Bearer ${secrets.apiKey}` },
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`PUT ${prefix}-${i}: ${res.status}`);
      }
    }),
  );
}

try {
  await write('first');
  const queue = await cli(['backup', 'now']);
  const queueIdle = await cli(['backup', 'now']);
  await write('second');
  const local = await cli(['backup', 'now', '--local']);
  const localIdle = await cli(['backup', 'now', '--local']);
  const report = {
    benchmark: 'backup-now',
    at: new Date().toISOString(),
    keys,
    partitions: 4096,
    targets: 2,
    copies: 2,
    cores: os.cpus().length,
    loadAverage: os.loadavg(),
    loadAverageAtStart: loadAtStart,
    runs: { queue, queueIdle, local, localIdle },
  };
  mkdirSync(results, { recursive: true });
  const file = join(results, `backup-now-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(JSON.stringify(report, null, 2), `\nwritten to ${file}`);
  if ([queue, queueIdle, local, localIdle].some((r) => r.code !== 0)) process.exitCode = 1;
} finally {
  await stack.stop();
  await rm(home, { recursive: true, force: true });
}
