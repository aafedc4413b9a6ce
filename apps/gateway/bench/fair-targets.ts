import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '@redoubt/local-stack';
import { startBenchCluster } from './bench-cluster.js';
import { leaderClientUrl, startEtcdCluster } from './etcd-cluster.js';
import type { ProcessGroups } from './process-cpu.js';

export type Op = 'put' | 'get';

/** One line of the benchmark: a system, an operation with named semantics, how the Go driver runs it. */
export interface Series {
  /** e.g. `redoubt-stack get quorum`. */
  name: string;
  system: string;
  op: Op;
  /** What the operation guarantees, in words (reported with every figure). */
  semantics: string;
  driverArgs: string[];
  driverEnv: Record<string, string>;
  processes: () => ProcessGroups;
}

export interface RunningSystem {
  name: string;
  description: string;
  series: Series[];
  /** Arguments for `-op populate` (every key written once before the reads). */
  populateArgs: string[];
  populateEnv: Record<string, string>;
  /** The supervised stack, for the default stack (to pause one of its processes in an experiment). */
  localStack?: LocalStack;
  stop(): Promise<void>;
}

const QUORUM_GET =
  'quorum read: R = 2 of N = 3 replicas, the newest version of the two replies wins, read repair afterwards ' +
  '(not linearizable: a read concurrent with a write may see either value)';
const ALL_GET = 'x-redoubt-consistency: all: R = N = 3 replies, newest wins';
const PUT = 'durable quorum write: W = 2 of N = 3 replicas fsynced (group commit) before the 201';

function redoubtSeries(
  system: string,
  origins: string[],
  apiKey: string,
  processes: () => ProcessGroups,
  withAll: boolean,
): Series[] {
  const http = ['-target', 'http', '-endpoints', origins.join(',')];
  const env = { REDOUBT_API_KEY: apiKey };
  const make = (suffix: string, op: Op, driverOp: string, semantics: string): Series => ({
    name: `${system} ${suffix}`,
    system,
    op,
    semantics,
    driverArgs: [...http, '-op', driverOp],
    driverEnv: env,
    processes,
  });
  return [
    make('put', 'put', 'put', PUT),
    make('get quorum', 'get', 'get', QUORUM_GET),
    ...(withAll ? [make('get all', 'get', 'get-all', ALL_GET)] : []),
  ];
}

/**
 * What `npm start` runs (apps/stack's defaults): Redis, three data nodes, two gateways, the backup-worker
 * with scheduled backups to the stack's s3rver, one monitor, info-level logs. The driver spreads its
 * connections over both gateways.
 */
export async function startDefaultStack(dir: string): Promise<RunningSystem> {
  const stack = await startLocalStack({
    home: join(dir, 'stack'),
    dataNodes: 3,
    gateways: 2,
    worker: true,
    backups: true,
    instances: { monitor: 1 },
    log: 'ignore',
    fresh: true,
  });
  const processes = () => {
    const groups: ProcessGroups = { gateways: [], 'data nodes': [], 'worker, monitor, redis, s3': [] };
    for (const p of stack.processes()) {
      const group = p.name.startsWith('gw-')
        ? 'gateways'
        : p.name.startsWith('data-')
          ? 'data nodes'
          : 'worker, monitor, redis, s3';
      groups[group]!.push(p.pid());
    }
    return groups;
  };
  const origins = stack.gateways.map((g) => g.url);
  const series = redoubtSeries('redoubt-stack', origins, stack.keys.apiKey, processes, true);
  return {
    name: 'redoubt-stack',
    description:
      'the default npm start stack: redis, 3 data nodes, 2 gateways (the driver spreads its connections over both), backup-worker with scheduled backups, monitor; N=3 W=2 R=2, info logs',
    series,
    populateArgs: series[0]!.driverArgs.slice(0, 4),
    populateEnv: series[0]!.driverEnv,
    localStack: stack,
    stop: () => stack.stop(),
  };
}

/** The benchmark's lean cluster (bench-cluster.ts): one gateway, three data nodes, Redis, warn logs. */
export async function startLeanCluster(dir: string): Promise<RunningSystem> {
  const cluster = await startBenchCluster(join(dir, 'bench-cluster'), { gateways: 1 });
  const processes = () => ({
    gateways: cluster.gateways.map((g) => g.pid()),
    'data nodes': cluster.dataNodes.map((p) => p.pid()),
    redis: [cluster.redisPid()],
  });
  const series = redoubtSeries('redoubt-bench', cluster.origins, cluster.apiKey, processes, false);
  return {
    name: 'redoubt-bench',
    description:
      "the benchmark's lean cluster: 1 gateway + 3 data nodes + redis, no worker or monitor, warn logs",
    series,
    populateArgs: series[0]!.driverArgs.slice(0, 4),
    populateEnv: series[0]!.driverEnv,
    stop: () => cluster.stop(),
  };
}

/** Three etcd members, driven through clientv3 (gRPC) on the leader's client URL. */
export async function startEtcd(dir: string): Promise<RunningSystem> {
  const etcd = await startEtcdCluster(join(dir, 'etcd'));
  try {
    const leader = await leaderClientUrl(etcd);
    const grpc = ['-target', 'etcd', '-endpoints', leader];
    const processes = () => ({ 'etcd members': etcd.members.map((m) => m.pid()) });
    const make = (name: string, op: Op, driverOp: string, semantics: string): Series => ({
      name: `etcd ${name}`,
      system: 'etcd',
      op,
      semantics,
      driverArgs: [...grpc, '-op', driverOp],
      driverEnv: {},
      processes,
    });
    return {
      name: 'etcd',
      description: `etcd ${etcd.version}, 3 members on loopback (defaults, auto-compaction), native gRPC client (clientv3) on the leader`,
      series: [
        make('put', 'put', 'put', 'Raft commit on a majority, fsynced WAL (batched) before the answer'),
        make(
          'get linearizable',
          'get',
          'get-linearizable',
          'linearizable range (read index round to a majority, then the local read)',
        ),
        make(
          'get serializable',
          'get',
          'get-serializable',
          "serializable range: the member's local state, no quorum round (may be stale)",
        ),
      ],
      populateArgs: grpc,
      populateEnv: {},
      stop: () => etcd.stop(),
    };
  } catch (error) {
    await etcd.stop();
    throw error;
  }
}
