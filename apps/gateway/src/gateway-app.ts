import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { BreakerRegistry } from '@redoubt/circuit-breakers';
import type { DataNodeAddress } from '@redoubt/cluster-client';
import {
  createAuthFailureReporter,
  createServiceApp,
  finishServiceApp,
  methodNotAllowed,
  requireAdminKey,
} from '@redoubt/http-kit';
import type { HandoffBuffer, QuorumCoordinator, QuorumPolicy } from '@redoubt/quorum';
import type { HybridClock } from '@redoubt/records';
import type { Logger, Registry } from '@redoubt/telemetry';
import type { ConditionalWrites } from './conditional-writes.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { createKvHandler } from './kv-handler.js';
import { openApiDocument } from './openapi-document.js';
import { API_SECURITY_HEADERS } from './security-headers.js';
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
  conditional: ConditionalWrites;
  clock: HybridClock;
  breakers: BreakerRegistry;
  handoff: HandoffBuffer;
  /** The data nodes this gateway can reach, with their addresses (DATA_NODES and published ones). */
  dataNodes: () => DataNodeAddress[];
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
 * The gateway's express app: health, readiness, metrics, the OpenAPI document, admin status, and the JSON
 * 404/405/error answers, on the standard http-kit service app. `/v1/kv` is not here: the public path is
 * answered in front of express (kv-handler.ts, main.ts).
 */
export function createGatewayApp(parts: GatewayParts): Express {
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
      dataNodes: parts.dataNodes(),
      breakers: parts.breakers.states(),
      handoffBacklog: parts.handoff.size(),
      ready: readiness(parts).ready,
    });
  });
  app.all('/admin/status', methodNotAllowed(['GET', 'HEAD']));
  return finishServiceApp(app, parts.logger);
}

/** The public path's handler, built from the same parts. */
export function createPublicPath(parts: GatewayParts): (req: IncomingMessage, res: ServerResponse) => void {
  return createKvHandler({
    apiKeys: parts.apiKeys,
    router: parts.router,
    coordinator: parts.coordinator,
    conditional: parts.conditional,
    clock: parts.clock,
    policy: parts.policy,
    maxValueBytes: parts.maxValueBytes,
    metrics: parts.metrics,
    logger: parts.logger,
    slowRequestMs: parts.slowRequestMs,
    responseHeaders: API_SECURITY_HEADERS,
    authFailures: createAuthFailureReporter(parts.registry, parts.logger),
  });
}
