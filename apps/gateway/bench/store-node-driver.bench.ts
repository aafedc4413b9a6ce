/**
 * The store benchmark's second opinion, driven from Node (undici) and etcd through its v3 JSON gateway;
 * `npm run bench:store` (store.bench.ts) is the primary one, with a compiled driver for both sides. Store benchmark: PUT and GET of 256-byte values with varied keys at concurrency 1, 16 and 64, closed
 * loop, each cell bounded by duration (BENCH_DURATION_MS, default 5 s), against
 *   - redoubt: the gateway in front of three data nodes (N = 3, W = 2, R = 2), Redis for handoffs;
 *   - etcd: a three-member cluster (v3 JSON API, /v3/kv/put and linearizable /v3/kv/range) on the leader;
 *   - bare: a node:http server that answers at once (the ceiling of one Node HTTP hop);
 *   - ceiling (PUT only): the least a durable N = 3, W = 2 write can cost in Node here: a bare node:http
 *     front batching each PUT to three replicas that append it to a file and fdatasync (replicated-ceiling.ts).
 * Targets run one after another, each with the whole machine. BENCH_ROUNDS=n runs all targets n times
 * over: each round's ratios compare targets measured minutes apart, and the medians of those ratios are
 * what is reported (this machine's speed drifts by tens of percent over minutes). Writes
 * bench/results/store-<ts>.json and prints the ratios. BENCH_CPU_PROFILE=1 also runs the gateway and one data node under `node --cpu-prof`
 * and summarises their top frames. Not a test: nothing here asserts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, REPO_ROOT, ServiceProcess } from '@redoubt/local-stack';
import { startBenchCluster } from './bench-cluster.js';
import { summariseProfiles, type ProfileSummary } from './cpu-profile-summary.js';
import { leaderClientUrl, startEtcdCluster } from './etcd-cluster.js';
import { populate, runClosedLoop, type CellResult, type LoadRequest } from './load-driver.js';
import { cpuPerRequest, cpuSnapshot, type ProcessGroups } from './process-cpu.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const WARMUP_MS = Math.min(2_000, DURATION_MS);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const KEYSPACE = Number(process.env.BENCH_KEYS ?? 10_000);
const VALUE_BYTES = 256;
const PROFILE = process.env.BENCH_CPU_PROFILE === '1';
/** For working on one target: BENCH_TARGETS=etcd,bare (ratios need redoubt, etcd and bare). */
const TARGETS = new Set((process.env.BENCH_TARGETS ?? 'redoubt,redoubt-2gw,etcd,bare,ceiling').split(','));
/** Extra node flags for the gateway and data nodes, e.g. BENCH_NODE_ARGS=--trace-deopt (output in their logs). */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Rounds of every target (see the file comment); ratios are medians over rounds. */
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 1)) || 1);
/** For profiling one operation: BENCH_OPS=put (ratios cover the ops measured; the verdicts need both). */
const OPS = (process.env.BENCH_OPS ?? 'put,get')
  .split(',')
  .filter((op): op is Op => op === 'put' || op === 'get');

type Op = 'put' | 'get';
interface TargetResult {
  target: string;
  description: string;
  cells: Record<Op, CellResult[]>;
  /** 1-minute load average before and after: this machine is shared, and the figures depend on it. */
  loadAverage?: { before: number; after: number };
}

/** Keys spread over the key space so consecutive requests hit different partitions and nodes. */
const keyIndex = (worker: number, i: number) => (worker * 7_919 + i * 104_729) % KEYSPACE;
const keys = Array.from(
  { length: KEYSPACE },
  (_, i) => `bench:${i.toString(36)}:${(i * 2_654_435_761) % 1_000_003}`,
);
const value = randomBytes(VALUE_BYTES);
/** The paths of the keys on the servers without a /v1 API (bare, ceiling). */
const plainPaths = keys.map((k) => `/kv/${encodeURIComponent(k)}`);
const plainPut = (w: number, i: number): LoadRequest => ({
  method: 'PUT',
  path: plainPaths[keyIndex(w, i)]!,
  body: value,
});

/** Record ops and batch requests a data node has served so far (from its /metrics). */
async function dataNodeBatches(url: string): Promise<{ ops: number; batches: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let ops = 0;
  let batches = 0;
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('redoubt_data_ops_total{')) ops += value;
    else if (
      line.startsWith('redoubt_data_requests_total{') &&
      (line.includes('route="/internal/v1/batch"') || line.includes('method="FRAME"'))
    )
      batches += value;
  }
  return { ops, batches };
}

async function measure(
  target: string,
  origin: string | readonly string[],
  /** The ops the target serves (those of OPS it has a request for are measured). */
  requests: Partial<Record<Op, (w: number, i: number) => LoadRequest>>,
  processes: () => ProcessGroups,
  /** Data node URLs: report how many record ops each internal batch request carried. */
  dataNodeUrls: readonly string[] = [],
): Promise<Record<Op, CellResult[]>> {
  const cells: Record<Op, CellResult[]> = { put: [], get: [] };
  for (const op of OPS) {
    const next = requests[op];
    if (next === undefined) continue;
    await runClosedLoop(origin, 16, WARMUP_MS, next); // JIT, connections, caches
    for (const concurrency of CONCURRENCY) {
      const batchesBefore = await Promise.all(dataNodeUrls.map(dataNodeBatches));
      const before = cpuSnapshot(processes());
      const cell = await runClosedLoop(origin, concurrency, DURATION_MS, next);
      cell.cpuMicrosPerRequest = cpuPerRequest(before, cpuSnapshot(processes()), cell.requests);
      if (dataNodeUrls.length > 0) {
        const after = await Promise.all(dataNodeUrls.map(dataNodeBatches));
        let ops = 0;
        let batches = 0;
        after.forEach((a, i) => {
          ops += a.ops - batchesBefore[i]!.ops;
          batches += a.batches - batchesBefore[i]!.batches;
        });
        cell.opsPerBatch = batches > 0 ? round(ops / batches, 1) : NaN;
      }
      cells[op].push(cell);
      console.log(
        `${target.padEnd(8)} ${op.toUpperCase().padEnd(4)} c=${String(concurrency).padEnd(3)} ` +
          `${cell.rps.toFixed(0).padStart(7)} req/s  p50 ${cell.p50Ms.toFixed(2).padStart(7)} ms  ` +
          `p99 ${cell.p99Ms.toFixed(2).padStart(7)} ms  errors ${cell.errors}${cell.firstError ? ` (${cell.firstError})` : ''}  ` +
          `cpu us/req ${Object.entries(cell.cpuMicrosPerRequest)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}${cell.opsPerBatch !== undefined ? `  ops/batch ${cell.opsPerBatch}` : ''}`,
      );
    }
  }
  return cells;
}

async function benchRedoubt(dir: string, profileDir: string | undefined): Promise<TargetResult[]> {
  const cluster = await startBenchCluster(dir, {
    gateways: 2,
    profileDir,
    nodeArgs: NODE_ARGS,
    gatewayEnv: process.env.NODE_BATCHES_IN_FLIGHT
      ? { NODE_BATCHES_IN_FLIGHT: process.env.NODE_BATCHES_IN_FLIGHT }
      : {},
  });
  try {
    // Two gateways on the same data nodes: the single-gateway figures are the primary ones; the second
    // shows how the stateless gateway tier scales out (the client spreads its connections over both).
    const { gateways, origins, apiKey, dataNodeUrls } = cluster;
    const auth = { authorization: `Bearer ${apiKey}` };
    const paths = keys.map((k) => `/v1/kv/${encodeURIComponent(k)}`);
    const putHeaders = { ...auth, 'content-type': 'application/octet-stream' };
    const failed = await populate(origins[0]!, KEYSPACE, 64, (i) => ({
      method: 'PUT',
      path: paths[i]!,
      body: value,
      headers: putHeaders,
    }));
    if (failed > 0) console.warn(`redoubt: ${failed} of ${KEYSPACE} preloading PUTs failed`);
    const requests = {
      put: (w: number, i: number): LoadRequest => ({
        method: 'PUT',
        path: paths[keyIndex(w, i)]!,
        body: value,
        headers: putHeaders,
      }),
      get: (w: number, i: number): LoadRequest => ({
        method: 'GET',
        path: paths[keyIndex(w, i)]!,
        headers: auth,
      }),
    };
    const groups = (n: number) => () => ({
      gateway: gateways.slice(0, n).map((g) => g.pid()),
      'data nodes': cluster.dataNodes.map((p) => p.pid()),
      redis: [cluster.redisPid()],
    });
    const results: TargetResult[] = [];
    const oneBefore = loadavg()[0]!;
    results.push({
      target: 'redoubt',
      description: 'one gateway + 3 data nodes, N=3 W=2 R=2 (quorum), durable (fsync, group commit) writes',
      cells: await measure('redoubt', origins[0]!, requests, groups(1), dataNodeUrls),
      loadAverage: { before: round(oneBefore), after: round(loadavg()[0]!) },
    });
    if (TARGETS.has('redoubt-2gw')) {
      const twoBefore = loadavg()[0]!;
      results.push({
        target: 'redoubt-2gw',
        description: 'the same with two gateways, the client spreading its connections over both',
        cells: await measure('redoubt-2gw', origins, requests, groups(2), dataNodeUrls),
        loadAverage: { before: round(twoBefore), after: round(loadavg()[0]!) },
      });
    }
    return results;
  } finally {
    await cluster.stop();
  }
}

async function benchEtcd(dir: string): Promise<TargetResult> {
  const etcd = await startEtcdCluster(join(dir, 'etcd'));
  try {
    const origin = await leaderClientUrl(etcd);
    const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
    const valueB64 = b64(value);
    const putBodies = keys.map((k) => JSON.stringify({ key: b64(k), value: valueB64 }));
    const rangeBodies = keys.map((k) => JSON.stringify({ key: b64(k) })); // serializable: false -> linearizable
    const json = { 'content-type': 'application/json' };
    const failed = await populate(origin, KEYSPACE, 64, (i) => ({
      method: 'POST',
      path: '/v3/kv/put',
      body: putBodies[i]!,
      headers: json,
    }));
    if (failed > 0) console.warn(`etcd: ${failed} of ${KEYSPACE} preloading puts failed`);
    const cells = await measure(
      'etcd',
      origin,
      {
        put: (w, i) => ({
          method: 'POST',
          path: '/v3/kv/put',
          body: putBodies[keyIndex(w, i)]!,
          headers: json,
        }),
        get: (w, i) => ({
          method: 'POST',
          path: '/v3/kv/range',
          body: rangeBodies[keyIndex(w, i)]!,
          headers: json,
        }),
      },
      () => ({ 'etcd members': etcd.members.map((m) => m.pid()) }),
    );
    return {
      target: 'etcd',
      description: `etcd ${etcd.version}, 3 members on loopback, v3 JSON gateway, requests to the leader, linearizable reads`,
      cells,
    };
  } finally {
    await etcd.stop();
  }
}

async function benchBare(dir: string): Promise<TargetResult> {
  const port = await freePort();
  const server = new ServiceProcess({
    name: 'bare-http',
    script: resolve(REPO_ROOT, 'apps/gateway/bench/bare-http-server.ts'),
    env: { PORT: String(port) },
    readyUrl: `http://127.0.0.1:${port}/readyz`,
    log: join(dir, 'logs', 'bare.log'),
  });
  await server.start();
  try {
    const cells = await measure(
      'bare',
      `http://127.0.0.1:${port}`,
      {
        put: plainPut,
        get: (w, i) => ({ method: 'GET', path: plainPaths[keyIndex(w, i)]! }),
      },
      () => ({ server: [server.pid()] }),
    );
    return { target: 'bare', description: 'node:http answering at once (one Node HTTP hop, no work)', cells };
  } finally {
    await server.stop();
  }
}

async function benchCeiling(dir: string): Promise<TargetResult> {
  const script = resolve(REPO_ROOT, 'apps/gateway/bench/replicated-ceiling.ts');
  const ports = [await freePort(), await freePort(), await freePort()];
  const replicas = ports.map(
    (port, i) =>
      new ServiceProcess({
        name: `ceiling-replica-${i + 1}`,
        script,
        env: { ROLE: 'replica', PORT: String(port), LOG_FILE: join(dir, `ceiling-replica-${i + 1}.log`) },
        readyPort: port,
        log: join(dir, 'logs', `ceiling-replica-${i + 1}.log`),
      }),
  );
  await Promise.all(replicas.map((r) => r.start()));
  const port = await freePort();
  const front = new ServiceProcess({
    name: 'ceiling-front',
    script,
    env: { ROLE: 'front', PORT: String(port), REPLICAS: ports.join(',') },
    readyUrl: `http://127.0.0.1:${port}/readyz`,
    log: join(dir, 'logs', 'ceiling-front.log'),
  });
  await front.start();
  try {
    const cells = await measure('ceiling', `http://127.0.0.1:${port}`, { put: plainPut }, () => ({
      front: [front.pid()],
      replicas: replicas.map((r) => r.pid()),
    }));
    return {
      target: 'ceiling',
      description:
        'the floor of a durable replicated PUT in Node: node:http front, one batch frame in flight per replica, 3 replicas appending to a file with fdatasync, 201 after 2',
      cells,
    };
  } finally {
    await Promise.allSettled([front, ...replicas].map((p) => p.stop()));
  }
}

const at = (t: TargetResult, op: Op, c: number) => t.cells[op].find((x) => x.concurrency === c);
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

type RatioTable = Record<string, Record<string, number>>;

/** Each ratio's median over the rounds (the mean of the middle two for an even count). */
function medianRatios(tables: readonly RatioTable[]): RatioTable {
  const out: RatioTable = {};
  for (const [cell, fields] of Object.entries(tables[0] ?? {})) {
    out[cell] = {};
    for (const field of Object.keys(fields)) {
      const values = tables.map((t) => t[cell]![field]!).sort((a, b) => a - b);
      const mid = values.length / 2;
      out[cell]![field] = round(
        values.length % 2 ? values[Math.floor(mid)]! : (values[mid - 1]! + values[mid]!) / 2,
      );
    }
  }
  return out;
}

function ratios(
  redoubt: TargetResult,
  etcd: TargetResult,
  bare: TargetResult | undefined,
  ceiling: TargetResult | undefined,
): RatioTable {
  const out: RatioTable = {};
  for (const c of CONCURRENCY) {
    for (const op of OPS) {
      const r = at(redoubt, op, c)!;
      const e = at(etcd, op, c)!;
      const b = bare && at(bare, op, c);
      const floor = ceiling && at(ceiling, op, c);
      out[`${op} c=${c}`] = {
        throughputVsEtcd: round(r.rps / e.rps),
        p99VsEtcd: round(r.p99Ms / e.p99Ms),
        ...(b ? { throughputVsBareHttp: round(r.rps / b.rps) } : {}),
        ...(floor
          ? { throughputVsCeiling: round(r.rps / floor.rps), ceilingVsEtcd: round(floor.rps / e.rps) }
          : {}),
      };
    }
  }
  return out;
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-bench-store-'));
  const profileDir = PROFILE ? join(dir, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  console.log(
    `store benchmark: ${DURATION_MS} ms per cell, concurrency ${CONCURRENCY.join('/')}, ${KEYSPACE} keys, ${VALUE_BYTES}-byte values`,
  );
  try {
    const rounds: { targets: TargetResult[]; ratios: RatioTable; ratiosTwoGateways?: RatioTable }[] = [];
    for (let n = 1; n <= ROUNDS; n++) {
      if (ROUNDS > 1) console.log(`\nround ${n} of ${ROUNDS}`);
      const results: TargetResult[] = [];
      const run = async (name: string, bench: () => Promise<TargetResult>) => {
        if (!TARGETS.has(name)) return;
        const before = loadavg()[0]!;
        const result = await bench();
        result.loadAverage = { before: round(before), after: round(loadavg()[0]!) };
        results.push(result);
      };
      // every round on fresh directories (etcd would not form a new cluster in an old member's); profiles
      // of the first round only
      const roundDir = join(dir, `round-${n}`);
      mkdirSync(roundDir, { recursive: true });
      if (TARGETS.has('redoubt')) {
        results.push(...(await benchRedoubt(roundDir, n === 1 ? profileDir : undefined)));
      }
      await run('etcd', () => benchEtcd(roundDir));
      await run('bare', () => benchBare(roundDir));
      await run('ceiling', () => benchCeiling(roundDir));
      const [redoubt, etcd, bare, ceiling] = ['redoubt', 'etcd', 'bare', 'ceiling'].map((t) =>
        results.find((x) => x.target === t),
      );
      const twoGateways = results.find((x) => x.target === 'redoubt-2gw');
      rounds.push({
        targets: results,
        ratios: redoubt && etcd ? ratios(redoubt, etcd, bare, ceiling) : {},
        ...(twoGateways && etcd ? { ratiosTwoGateways: ratios(twoGateways, etcd, bare, ceiling) } : {}),
      });
    }
    const r = medianRatios(rounds.map((x) => x.ratios));
    const r2 = rounds.every((x) => x.ratiosTwoGateways)
      ? medianRatios(rounds.map((x) => x.ratiosTwoGateways!))
      : undefined;
    const top = Math.max(...CONCURRENCY);
    const put = r[`put c=${top}`];
    const get = r[`get c=${top}`];
    const targets =
      put && get
        ? {
            [`put throughput >= 1.5x etcd at c=${top}`]: put.throughputVsEtcd >= 1.5,
            [`put p99 <= etcd at c=${top}`]: put.p99VsEtcd <= 1,
            [`quorum get (R=2) throughput >= 1.5x etcd's linearizable JSON-gateway range at c=${top}`]:
              get.throughputVsEtcd >= 1.5,
          }
        : {};
    let profiles: ProfileSummary[] | undefined;
    if (profileDir) profiles = ['gateway', 'data-1'].flatMap((p) => summariseProfiles(join(profileDir, p)));

    const printRatios = (title: string, table: RatioTable) => {
      console.log(`\n${title}:`);
      for (const [cell, x] of Object.entries(table)) {
        console.log(
          `  ${cell.padEnd(9)} throughput ${x.throughputVsEtcd!.toFixed(2)}x etcd, p99 ${x.p99VsEtcd!.toFixed(2)}x etcd` +
            (x.throughputVsBareHttp === undefined
              ? ''
              : `, ${(x.throughputVsBareHttp * 100).toFixed(0)}% of bare node:http`) +
            (x.throughputVsCeiling === undefined
              ? ''
              : `, ${(x.throughputVsCeiling * 100).toFixed(0)}% of the replicated ceiling (itself ${x.ceilingVsEtcd!.toFixed(2)}x etcd)`),
        );
      }
    };
    if (ROUNDS > 1) {
      rounds.forEach((x, i) =>
        printRatios(`round ${i + 1}: ratios (redoubt, one gateway / baseline)`, x.ratios),
      );
    }
    const overRounds = ROUNDS > 1 ? `, medians of ${ROUNDS} rounds` : '';
    printRatios(`ratios (redoubt, one gateway / baseline${overRounds})`, r);
    if (r2) printRatios(`ratios (redoubt, two gateways / baseline${overRounds})`, r2);
    console.log('\ntargets:');
    for (const [name, met] of Object.entries(targets))
      console.log(`  ${met ? 'met    ' : 'NOT met'} ${name}`);
    for (const p of profiles ?? []) {
      console.log(`\nprofile ${p.file} (${p.samples} samples), self time by area:`);
      for (const a of p.byArea.slice(0, 10))
        console.log(`  ${a.selfPercent.toFixed(1).padStart(5)}%  ${a.frame}`);
      console.log('  top functions:');
      for (const f of p.topSelf.slice(0, 10))
        console.log(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.frame}`);
    }

    const now = new Date();
    const result = {
      benchmark: 'store',
      at: now.toISOString(),
      seconds: (Date.now() - started) / 1000,
      environment: {
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        platform: `${process.platform} ${process.arch}`,
      },
      parameters: {
        durationMsPerCell: DURATION_MS,
        warmupMs: WARMUP_MS,
        concurrency: CONCURRENCY,
        keys: KEYSPACE,
        valueBytes: VALUE_BYTES,
        loop: 'closed loop, one undici connection per worker, one process driving',
        rounds: ROUNDS,
      },
      targets:
        ROUNDS === 1
          ? rounds[0]!.targets
          : rounds.flatMap((x, i) => x.targets.map((t) => ({ ...t, round: i + 1 }))),
      ratios: r,
      ...(ROUNDS > 1 ? { ratiosPerRound: rounds.map((x) => x.ratios) } : {}),
      ...(r2 ? { ratiosTwoGateways: r2 } : {}),
      goals: targets,
      ...(profiles ? { profiles } : {}),
    };
    const outDir = resolve(REPO_ROOT, 'bench/results');
    mkdirSync(outDir, { recursive: true });
    const file = join(
      outDir,
      `store-node-driver-${now.toISOString().replaceAll(':', '-').replace('.', '-')}.json`,
    );
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    console.log(`\nwrote ${file} (${result.seconds.toFixed(0)} s)`);
  } finally {
    if (!process.env.KEEP_BENCH_DIR) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

await main();
