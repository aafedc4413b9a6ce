/**
 * What a conditional write costs, measured against a plain PUT in the same run (this machine is shared
 * and noisy: compare ratios, not absolute figures). One cluster: redis-server, three data nodes (N = 3),
 * two gateways, every process real (src/testing/test-cluster.ts).
 *
 *   - round trips per conditional write, uncontended (from x-redoubt-round-trips): Paxos prepare, accept, commit
 *   - latency and throughput, c = 1 and c = 16 on distinct keys: plain PUT, conditional create
 *     (If-None-Match: *), quorum GET, serial GET
 *   - contended: 16 clients over both gateways incrementing one counter with serial read + If-Match;
 *     every acknowledged increment must be counted (final value ≥ acknowledged, ≤ acknowledged + unknown)
 *
 * npm run bench:cas -w @redoubt/gateway   (BENCH_DURATION_MS per cell, default 5000)
 * Writes bench/results/cas-<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@redoubt/local-stack';
import { TestCluster } from '../src/testing/test-cluster.js';
import { runClosedLoop, type CellResult } from './load-driver.js';

const DURATION = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const VALUE = 'x'.repeat(256);

const cluster = await TestCluster.start();
try {
  const second = await cluster.startGateway('gw2', {});
  const gateways = [cluster.gatewayUrl, second.options.readyUrl!.replace('/readyz', '')];
  const auth = { authorization: `Bearer ${cluster.apiKey}` };
  await cluster.put('bench-read', VALUE);

  // round trips of an uncontended conditional write, read from the answers
  const trips: number[] = [];
  for (let i = 0; i < 50; i++) {
    const res = await cluster.put(`trips-${i}`, VALUE, { 'if-none-match': '*' });
    trips.push(Number(res.headers.get('x-redoubt-round-trips')));
    await res.body?.cancel();
  }

  const cells: Record<string, CellResult[]> = { put: [], casCreate: [], getQuorum: [], getSerial: [] };
  for (const c of [1, 16]) {
    const run = `c${c}-${Date.now()}`;
    cells.put!.push(
      await runClosedLoop(gateways, c, DURATION, (w, i) => ({
        method: 'PUT',
        path: `/v1/kv/plain-${run}-${w}-${i}`,
        body: VALUE,
        headers: auth,
      })),
    );
    cells.casCreate!.push(
      await runClosedLoop(gateways, c, DURATION, (w, i) => ({
        method: 'PUT',
        path: `/v1/kv/cas-${run}-${w}-${i}`,
        body: VALUE,
        headers: { ...auth, 'if-none-match': '*' },
      })),
    );
    cells.getQuorum!.push(
      await runClosedLoop(gateways, c, DURATION, () => ({
        method: 'GET',
        path: '/v1/kv/bench-read',
        headers: auth,
      })),
    );
    cells.getSerial!.push(
      await runClosedLoop(gateways, c, DURATION, () => ({
        method: 'GET',
        path: '/v1/kv/bench-read',
        headers: { ...auth, 'x-redoubt-consistency': 'serial' },
      })),
    );
  }

  const contended = await counter(gateways, auth, 16, DURATION * 2);
  const ratio = (a: CellResult, b: CellResult) => ({
    throughput: +(a.rps / b.rps).toFixed(2),
    p50: +(a.p50Ms / b.p50Ms).toFixed(2),
    p99: +(a.p99Ms / b.p99Ms).toFixed(2),
  });
  const result = {
    benchmark: 'cas',
    at: new Date().toISOString(),
    durationMsPerCell: DURATION,
    setup: 'N = 3 data nodes, W = R = 2, 2 gateways, 256-byte values, closed loop, loopback',
    roundTripsUncontended: { mean: trips.reduce((a, b) => a + b, 0) / trips.length, max: Math.max(...trips) },
    cells,
    casVsPut: [0, 1].map((i) => ({
      concurrency: cells.put![i]!.concurrency,
      ...ratio(cells.casCreate![i]!, cells.put![i]!),
    })),
    serialVsQuorumGet: [0, 1].map((i) => ({
      concurrency: cells.getQuorum![i]!.concurrency,
      ...ratio(cells.getSerial![i]!, cells.getQuorum![i]!),
    })),
    contended,
  };
  const dir = resolve(REPO_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `cas-${result.at.replaceAll(':', '-').replace('.', '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify({ ...result, cells: undefined }, null, 2));
  console.log(`written: ${file}`);
  if (contended.lost > 0) process.exitCode = 1;
} finally {
  await cluster.stop();
}

/** 16 clients increment one counter (serial read, If-Match write); counts what was acknowledged. */
async function counter(
  gateways: string[],
  auth: Record<string, string>,
  clients: number,
  durationMs: number,
) {
  const key = `counter-${Date.now()}`;
  let acknowledged = 0;
  let preconditionFailed = 0;
  let unknown = 0;
  const trips: number[] = [];
  const end = performance.now() + durationMs;
  const url = (g: number) => `${gateways[g % gateways.length]}/v1/kv/${key}`;
  await Promise.all(
    Array.from({ length: clients }, async (_, w) => {
      while (performance.now() < end) {
        const read = await fetch(url(w), { headers: { ...auth, 'x-redoubt-consistency': 'serial' } });
        const text = await read.text();
        if (read.status !== 200 && read.status !== 404) continue;
        const n = read.status === 200 ? Number(text) : 0;
        const condition: Record<string, string> =
          read.status === 200 ? { 'if-match': read.headers.get('etag')! } : { 'if-none-match': '*' };
        try {
          const res = await fetch(url(w), {
            method: 'PUT',
            body: String(n + 1),
            headers: { ...auth, ...condition },
            signal: AbortSignal.timeout(5_000),
          });
          await res.body?.cancel();
          if (res.status === 201) {
            acknowledged++;
            trips.push(Number(res.headers.get('x-redoubt-round-trips')));
          } else if (res.status === 412) preconditionFailed++;
          else unknown++;
        } catch {
          unknown++;
        }
      }
    }),
  );
  const final = Number(
    await (await fetch(url(0), { headers: { ...auth, 'x-redoubt-consistency': 'serial' } })).text(),
  );
  return {
    clients,
    durationMs,
    acknowledged,
    preconditionFailed,
    unknown,
    finalValue: final,
    /** Acknowledged increments missing from the final value: must be 0. */
    lost: Math.max(0, acknowledged - final),
    acknowledgedPerSecond: +(acknowledged / (durationMs / 1000)).toFixed(1),
    roundTripsPerAcknowledged: trips.length
      ? +(trips.reduce((a, b) => a + b, 0) / trips.length).toFixed(2)
      : null,
  };
}
