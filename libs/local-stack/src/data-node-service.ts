import { ServiceProcess, type ServiceProcessOptions } from './service-process.js';

export interface DataNodeServiceOptions {
  id: string;
  port: number;
  dir: string;
  clusterToken: string;
  partitions: number;
  /** Display name and log prefix (default: the node id). */
  name?: string;
  /** DATA_ENABLE_TEST_HOOKS: lets a test damage a stored record (default off). */
  testHooks?: boolean;
  logLevel?: string;
  log?: ServiceProcessOptions['log'];
  readyTimeoutMs?: number;
}

/**
 * A data node (apps/data) on loopback, as a ServiceProcess ready to start: the environment every test
 * cluster and fixture gives one, in one place. Ready once its `/readyz` answers.
 */
export function dataNodeService(options: DataNodeServiceOptions): ServiceProcess {
  return new ServiceProcess({
    name: options.name ?? options.id,
    app: 'data',
    env: {
      NODE_ID: options.id,
      DATA_HOST: '127.0.0.1',
      DATA_PORT: String(options.port),
      DATA_DIR: options.dir,
      CLUSTER_TOKEN: options.clusterToken,
      PARTITIONS: String(options.partitions),
      LOG_LEVEL: options.logLevel ?? 'warn',
      DATA_ENABLE_TEST_HOOKS: options.testHooks ? 'true' : 'false',
    },
    readyUrl: `http://127.0.0.1:${options.port}/readyz`,
    ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
    log: options.log ?? 'ignore',
  });
}
