import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { appEntry, freePort, ServiceProcess, startRedisServer } from '@redoubt/local-stack';

/**
 * The benchmark's own redoubt cluster: three data nodes (N = 3, W = 2, R = 2, fsynced writes), gateways in
 * front of them and Redis for handoffs; no backup-worker, no monitor, warn-level logs. Leaner than what
 * `npm start` runs (fair-targets.ts measures that too).
 */
export interface BenchCluster {
  dataNodes: ServiceProcess[];
  gateways: ServiceProcess[];
  /** Gateway origins, one per gateway. */
  origins: string[];
  dataNodeUrls: string[];
  apiKey: string;
  redisPid(): number | undefined;
  stop(): Promise<void>;
}

export interface BenchClusterOptions {
  gateways?: number;
  /** `node --cpu-prof` output directories for the gateway-1 and data-1 (their profiles on a clean exit). */
  profileDir?: string;
  /** Extra node flags for the gateways and data nodes. */
  nodeArgs?: readonly string[];
  /** Extra environment for the gateways (e.g. NODE_BATCHES_IN_FLIGHT). */
  gatewayEnv?: Record<string, string>;
}

function nodeProcess(
  name: string,
  app: string,
  env: Record<string, string>,
  dir: string,
  port: number,
  nodeArgs: readonly string[],
  profileDir?: string,
) {
  return new ServiceProcess({
    name,
    ...(profileDir || nodeArgs.length > 0
      ? {
          command: process.execPath,
          args: [
            ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
            ...nodeArgs,
            '--import',
            'tsx',
            appEntry(app),
          ],
        }
      : { app }),
    env,
    readyUrl: `http://127.0.0.1:${port}/readyz`,
    readyTimeoutMs: 60_000,
    log: join(dir, 'logs', `${name}.log`),
  });
}

export async function startBenchCluster(
  dir: string,
  options: BenchClusterOptions = {},
): Promise<BenchCluster> {
  const { profileDir, nodeArgs = [] } = options;
  const redis = await startRedisServer({ dir: join(dir, 'redis') });
  const token = randomBytes(16).toString('hex');
  const apiKey = randomBytes(16).toString('hex');
  const dataNodes: ServiceProcess[] = [];
  const gateways: ServiceProcess[] = [];
  const stop = async () => {
    // SIGTERM: a clean exit, so --cpu-prof writes its profiles
    await Promise.allSettled([...gateways, ...dataNodes].map((p) => p.stop(15_000)));
    await redis.stop();
  };
  try {
    const nodes: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const port = await freePort();
      nodes.push(`d${i}=http://127.0.0.1:${port}`);
      const env = {
        NODE_ID: `d${i}`,
        DATA_PORT: String(port),
        DATA_DIR: join(dir, `d${i}`),
        CLUSTER_TOKEN: token,
        LOG_LEVEL: 'warn',
      };
      const profile = i === 1 && profileDir ? join(profileDir, 'data-1') : undefined;
      dataNodes.push(nodeProcess(`data-${i}`, 'data', env, dir, port, nodeArgs, profile));
    }
    await Promise.all(dataNodes.map((p) => p.start()));
    const origins: string[] = [];
    for (let g = 1; g <= (options.gateways ?? 1); g++) {
      const port = await freePort();
      const env = {
        GATEWAY_ID: `gwbench${g}`,
        GATEWAY_PORT: String(port),
        API_KEYS: apiKey,
        ADMIN_KEY: randomBytes(16).toString('hex'),
        CLUSTER_TOKEN: token,
        DATA_NODES: nodes.join(','),
        REDIS_URL: redis.url,
        QUEUE_PREFIX: 'bench',
        LOG_LEVEL: 'warn',
        ...options.gatewayEnv,
      };
      const profile = g === 1 && profileDir ? join(profileDir, 'gateway') : undefined;
      gateways.push(nodeProcess(`gateway-${g}`, 'gateway', env, dir, port, nodeArgs, profile));
      origins.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all(gateways.map((g) => g.start()));
    return {
      dataNodes,
      gateways,
      origins,
      dataNodeUrls: nodes.map((n) => n.slice(n.indexOf('=') + 1)),
      apiKey,
      redisPid: () => redis.pid(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
