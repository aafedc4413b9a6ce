import { loadConfigOrExit } from '@redoubt/config';
import {
  createAuthFailureReporter,
  createConnectionDrain,
  listen,
  onShutdown,
  servePlainRoutesFirst,
} from '@redoubt/http-kit';
import { PaxosAcceptor } from '@redoubt/consensus';
import { RecordStore } from '@redoubt/storage';
import { FaultyFileSystem } from '@redoubt/storage/testing';
import { createLogger, createMetricsRegistry } from '@redoubt/telemetry';
import { dataConfigSchema } from './data-config.js';
import { guardFutureVersions } from './version-guard.js';
import { serveBatchChannel } from './batch-channel-server.js';
import { createBatchHandler, isBatchRequest } from './batch-handler.js';
import { createDataApp } from './data-app.js';
import { createDataMetrics } from './data-metrics.js';
import { LmdbPaxosStateStore } from './paxos-state-store.js';

const config = loadConfigOrExit(dataConfigSchema, 'data');
const logger = createLogger('data', config.LOG_LEVEL).child({ node: config.NODE_ID });
const registry = createMetricsRegistry('data', { node: config.NODE_ID });
const metrics = createDataMetrics(registry);

// Test hooks only: the log engine's file layer that fails on demand (POST /internal/v1/test/disk-fault),
// from storage's testing entry point. Without test hooks the store runs on plain node:fs.
const disk =
  config.DATA_ENABLE_TEST_HOOKS && config.STORE_ENGINE === 'log' ? new FaultyFileSystem() : undefined;
let store: RecordStore;
try {
  store = RecordStore.open({
    path: config.DATA_DIR,
    partitions: config.PARTITIONS,
    engine: config.STORE_ENGINE,
    observer: metrics.observer,
    fileSystem: disk,
  });
} catch (error) {
  logger.fatal({ err: error, dir: config.DATA_DIR }, 'could not open the record store');
  process.exit(1);
}
metrics.watch(store);
// Every route writes through the guard: versions too far ahead of this node's clock are refused.
store = guardFutureVersions(store, config.MAX_CLOCK_DRIFT_MS);
if (store.isRecounting()) {
  logger.info('recounting digest aggregates in the background; records are served meanwhile, digests after');
}
void store.recovery.then((aggregates) => {
  if (aggregates.interrupted) return;
  logger.info(
    { aggregates },
    store.engine === 'log'
      ? 'log replayed: records indexed and digest aggregates counted'
      : aggregates.source === 'checkpoint'
        ? 'digest aggregates loaded from the last clean close'
        : 'digest aggregates recounted from the records (first start, or after a crash)',
  );
});

// Conditional writes: the acceptor keeps its promises in <DATA_DIR>/paxos and commits through the guarded store.
const paxosStates = new LmdbPaxosStateStore(config.DATA_DIR);
const acceptor = new PaxosAcceptor(paxosStates, store);

const drain = createConnectionDrain();
const app = createDataApp({
  config,
  store,
  acceptor,
  logger,
  registry,
  metrics,
  drain: drain.middleware,
  disk,
});
const { server, port } = await listen(app, config.DATA_PORT, config.DATA_HOST);
drain.attach();
const authFailures = createAuthFailureReporter(registry, logger);
const batch = createBatchHandler({
  store,
  metrics,
  logger,
  clusterToken: config.CLUSTER_TOKEN,
  draining: drain.draining,
  authFailures,
});
servePlainRoutesFirst(server, app, (req) => (isBatchRequest(req) ? batch : undefined));
const channels = serveBatchChannel(server, {
  store,
  metrics,
  logger,
  clusterToken: config.CLUSTER_TOKEN,
  draining: drain.draining,
  authFailures,
});
// Partition streams can take longer than http-kit's 30 s whole-request limit: no limit on a request as a
// whole, but a socket that moves no byte for two minutes is closed (headersTimeout still guards headers).
server.requestTimeout = 0;
server.timeout = 120_000;
logger.info(
  {
    host: config.DATA_HOST,
    port,
    dir: config.DATA_DIR,
    partitions: config.PARTITIONS,
    engine: config.STORE_ENGINE,
  },
  'data node listening',
);

// SIGTERM: stop accepting, let in-flight requests (and their commits) finish, then close the store.
// Batch channels are upgraded sockets that HTTP's idle sweep does not see, yet server.close() waits for
// them: at the signal each ends once its frames in flight are answered.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => channels.close());
onShutdown(logger, [server], async () => {
  await paxosStates.close();
  await store.close();
});
