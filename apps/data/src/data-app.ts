import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import { isRedoubtError } from '@redoubt/errors';
import { INTERNAL_PREFIX } from '@redoubt/cluster-client';
import { createServiceApp, finishServiceApp, requireClusterToken } from '@redoubt/http-kit';
import type { RecordStore } from '@redoubt/storage';
import type { FaultyFileSystem } from '@redoubt/storage/testing';
import type { Logger, Registry } from '@redoubt/telemetry';
import type { DataConfig } from './data-config.js';
import type { DataMetrics } from './data-metrics.js';
import type { PaxosAcceptor } from '@redoubt/consensus';
import { addPartitionRoutes } from './partition-routes.js';
import { addPaxosRoutes } from './paxos-routes.js';
import { addRecordRoutes } from './record-routes.js';
import { addStreamRoutes } from './stream-routes.js';
import { addTestHooks } from './test-hooks.js';

export interface DataAppParts {
  config: Pick<DataConfig, 'NODE_ID' | 'CLUSTER_TOKEN' | 'DATA_ENABLE_TEST_HOOKS'>;
  store: RecordStore;
  /** The Paxos acceptor of conditional writes (main.ts; paxos-routes.ts). */
  acceptor?: PaxosAcceptor;
  logger: Logger;
  registry: Registry;
  metrics: DataMetrics;
  /** Runs before everything else (main.ts passes the shutdown connection drain). */
  drain?: RequestHandler;
  /** With test hooks on (and the log engine): the store's fault-injecting file layer. */
  disk?: FaultyFileSystem;
}

/**
 * The data node's HTTP app: /healthz, /readyz (store open), /metrics without credentials; everything
 * under /internal/v1 behind the cluster token (docs/internal-protocol.md). The batch route, the hot path,
 * is answered in front of this app (batch-handler.ts, served first by main.ts).
 */
export function createDataApp({
  config,
  store,
  acceptor,
  logger,
  registry,
  metrics,
  drain,
  disk,
}: DataAppParts): Express {
  const app = createServiceApp({
    service: 'data',
    logger,
    registry,
    ready: () => store.isOpen(),
    // A store that failed a write or flush (fail stop) is not open: 503, and the body says why.
    readiness: () => ({
      node: config.NODE_ID,
      partitions: store.partitions,
      store: store.isOpen() ? 'open' : 'refusing writes after a disk failure, or closed: restart the node',
    }),
  });
  if (drain) app.use(drain);
  app.use(INTERNAL_PREFIX, requestMetrics(metrics), requireClusterToken(config.CLUSTER_TOKEN));
  addRecordRoutes(app, store, metrics);
  addPartitionRoutes(app, store, logger);
  addStreamRoutes(app, store, metrics, logger);
  if (acceptor) addPaxosRoutes(app, acceptor, store.partitions, metrics);
  if (config.DATA_ENABLE_TEST_HOOKS) addTestHooks(app, store, logger, disk);
  app.use(rememberErrorCode);
  finishServiceApp(app, logger);
  return app;
}

/** Rate, status and latency per route pattern (never per key: label values stay bounded). */
function requestMetrics(metrics: DataMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      metrics.request(req.route?.path ?? 'unmatched', req.method, String(res.statusCode), started);
      if (res.statusCode >= 400) {
        const code = res.locals.errorCode as string | undefined;
        metrics.errors.inc({ code: code ?? `HTTP_${res.statusCode}` });
      }
    });
    next();
  };
}

/** Notes a catalogue error's code for requestMetrics, then lets http-kit's handler answer it. */
const rememberErrorCode: ErrorRequestHandler = (error, _req, res, next) => {
  if (isRedoubtError(error)) res.locals.errorCode = error.code;
  next(error);
};
