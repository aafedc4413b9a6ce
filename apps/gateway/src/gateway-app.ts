import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { BreakerRegistry } from '@redoubt/circuit-breakers';
import {
  createServiceApp,
  finishServiceApp,
  methodNotAllowed,
  requireAdminKey,
  requireApiKey,
} from '@redoubt/http-kit';
import type { HandoffBuffer, QuorumCoordinator, QuorumPolicy } from '@redoubt/quorum';
import type { HybridClock } from '@redoubt/records';
import type { Logger, Registry } from '@redoubt/telemetry';
import type { GatewayMetrics } from './gateway-metrics.js';
import { kvHandler } from './kv-handler.js';
import { openApiDocument } from './openapi-document.js';
import { API_SECURITY_HEADERS, setHeaders } from './security-headers.js';
import type { PlacementProvider } from './placement-provider.js';
import type { ReplicaRouter } from './replica-router.js';

export interface GatewayParts {
  gatewayId: string;
  apiKeys: readonly string[];
  adminKey: string;
  maxValueBytes: number;
  slowRequestMs: number;
  policy: QuorumPolicy;
  logger: Logger;
  registry: Registry;
  metrics: GatewayMetrics;
  placement: PlacementProvider;
  router: ReplicaRouter;
  coordinator: QuorumCoordinator;
  clock: HybridClock;
  breakers: BreakerRegistry;
  handoff: HandoffBuffer;
}

/** Ready: a placement is known and at least W of its data nodes have a breaker that is not open. */
export function readiness(parts: Pick<GatewayParts, 'placement' | 'breakers' | 'policy'>) {
  const matrix = parts.placement.current();
  const states = parts.breakers.states();
  const nodes = matrix ? matrix.servers.map((s) => s.id) : [];
  const usable = nodes.filter((id) => states[id] !== 'open').length;
  return {
    ready: matrix !== undefined && usable >= parts.policy.w,
    body: {
      epoch: matrix?.epoch ?? null,
      usableDataNodes: usable,
      writeQuorum: parts.policy.w,
      breakers: states,
    },
  };
}

/**
 * The gateway's express app. The public path comes first and lean: `/v1/kv` is the first layer of a small
 * app, its security headers are precomputed and written with the response in one writeHead, and nothing
 * else runs before it. Everything else (health, readiness, metrics, the OpenAPI document, admin status,
 * 404s) is the standard http-kit service app mounted behind it.
 */
export function createGatewayApp(parts: GatewayParts): Express {
  const security = API_SECURITY_HEADERS;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(
    '/v1/kv',
    requestIdentity(),
    parts.metrics.middleware(parts.logger, parts.slowRequestMs),
    requireApiKey(parts.apiKeys),
    kvHandler({
      router: parts.router,
      coordinator: parts.coordinator,
      clock: parts.clock,
      policy: parts.policy,
      maxValueBytes: parts.maxValueBytes,
      metrics: parts.metrics,
      responseHeaders: security,
    }),
  );
  // errors of the public path are answered by the service app's error handler, with the same headers
  const withHeaders: ErrorRequestHandler = (error, req, res, next) => {
    req.id ||= randomUUID();
    if (!res.headersSent) {
      setHeaders(res, security);
      res.setHeader('x-request-id', req.id);
    }
    next(error);
  };
  app.use('/v1/kv', withHeaders);
  app.use(createServiceRoutes(parts));
  return finishServiceApp(app, parts.logger);
}

/**
 * Request id: the caller's `x-request-id` when well-formed (echoed in the response). Otherwise one is made
 * only when something is logged or an error is answered: a request that succeeds quietly never needs one.
 */
function requestIdentity(): RequestHandler {
  const valid = /^[\w-]{1,128}$/;
  return (req, _res, next) => {
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && valid.test(incoming) ? incoming : '';
    next();
  };
}

/** Everything but /v1/kv: the http-kit service app with the gateway's own routes. */
function createServiceRoutes(parts: GatewayParts): Express {
  const app = createServiceApp({
    service: 'gateway',
    logger: parts.logger,
    registry: parts.registry,
    ready: () => readiness(parts).ready,
    readiness: () => readiness(parts).body,
  });
  app.use(parts.metrics.middleware(parts.logger, parts.slowRequestMs));
  // createServiceApp answers GET on these; any other method is a 405 like everywhere else
  for (const path of ['/healthz', '/readyz', '/metrics']) app.all(path, methodNotAllowed(['GET', 'HEAD']));

  const openApiJson = JSON.stringify(openApiDocument);
  app.get('/v1/openapi.json', (_req, res) => {
    res.type('application/json').send(openApiJson);
  });
  app.all('/v1/openapi.json', methodNotAllowed(['GET', 'HEAD']));

  app.get('/admin/status', requireAdminKey(parts.adminKey), (_req, res) => {
    const matrix = parts.placement.current();
    res.json({
      gateway: parts.gatewayId,
      placement: matrix
        ? {
            epoch: matrix.epoch,
            partitions: matrix.partitions,
            replicas: matrix.replicas,
            servers: matrix.servers,
          }
        : null,
      quorum: parts.policy,
      breakers: parts.breakers.states(),
      handoffBacklog: parts.handoff.size(),
      ready: readiness(parts).ready,
    });
  });
  app.all('/admin/status', methodNotAllowed(['GET', 'HEAD']));
  return finishServiceApp(app, parts.logger);
}
