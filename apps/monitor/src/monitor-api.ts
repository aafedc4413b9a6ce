import type { Express, RequestHandler } from 'express';
import { RedoubtError } from '@redoubt/errors';
import {
  CLUSTER_TOKEN_HEADER,
  createServiceApp,
  finishServiceApp,
  jsonBody,
  methodNotAllowed,
  parseBody,
  requireAdminKey,
  requireClusterToken,
} from '@redoubt/http-kit';
import type { PlacementSubscriber } from '@redoubt/membership';
import { loads, toJSON } from '@redoubt/placement';
import type { MembershipChange, RecoveryController } from '@redoubt/recovery';
import { z } from '@redoubt/config';
import type { Logger, Registry } from '@redoubt/telemetry';

const nodeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must match [A-Za-z0-9_-]{1,64}');
const guard = { expectedEpoch: z.number().int().min(0).optional(), force: z.boolean().optional() };
const addBody = z.object({
  id: nodeId,
  url: z.string().regex(/^https?:\/\/\S+$/, 'must be http://host:port'),
  zone: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
  weight: z.number().positive().finite().optional(),
  ...guard,
});
const guardBody = z.object(guard);
const planBody = z.discriminatedUnion('action', [
  z.object({ action: z.literal('drain'), node: nodeId }),
  z.object({ action: z.literal('remove'), node: nodeId }),
  z.object({
    action: z.literal('add'),
    node: nodeId,
    zone: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .optional(),
    weight: z.number().positive().finite().optional(),
  }),
]);

/** Read access: the admin key, or the cluster token (other services, the chaos app). */
function requireAdminOrClusterToken(adminKey: string, clusterToken: string): RequestHandler {
  const admin = requireAdminKey(adminKey);
  const token = requireClusterToken(clusterToken);
  return (req, res, next) =>
    req.headers[CLUSTER_TOKEN_HEADER] ? token(req, res, next) : admin(req, res, next);
}

/**
 * The monitor's HTTP API:
 *
 *   GET    /v1/cluster              status: nodes, services, epoch, redundancy, queues, recent events (admin key or cluster token)
 *   GET    /v1/events?limit=50      the recovery event log                                         (admin key or cluster token)
 *   GET    /v1/placement            the current epoch (PlacementJSON), node addresses, loads        (admin key or cluster token)
 *   POST   /v1/placement/plan       preview a change: {action: drain|remove|add, node, zone?, weight?} (admin key)
 *   POST   /v1/nodes                add a data node: {id, url, zone?, weight?, expectedEpoch?, force?} (admin key, leader)
 *   POST   /v1/nodes/:id/drain      move every partition off a node: {expectedEpoch?, force?}   (admin key, leader)
 *   DELETE /v1/nodes/:id            decommission: drain, then forget ({expectedEpoch?, force?})  (admin key, leader)
 *
 * Changes are made by the leader; another monitor answers 409 NOT_LEADER with the leader's URL in
 * `error.details.leaderUrl`.
 */
export function createMonitorApi(options: {
  controller: RecoveryController;
  subscriber: PlacementSubscriber;
  adminKey: string;
  clusterToken: string;
  logger: Logger;
  registry: Registry;
  /** The zone of a data node added without one (Kubernetes: from its pod's Node); undefined: its own id. */
  zoneOf?: (node: string) => Promise<string | undefined>;
}): Express {
  const { controller, subscriber, logger } = options;
  const app = createServiceApp({
    service: 'monitor',
    logger,
    registry: options.registry,
    ready: () => subscriber.current() !== undefined,
    readiness: () => ({
      leader: controller.isLeader(),
      epoch: subscriber.epoch(),
      redis: subscriber.redisUp(),
    }),
  });
  const read = requireAdminOrClusterToken(options.adminKey, options.clusterToken);
  const admin = requireAdminKey(options.adminKey);

  app.get('/v1/cluster', read, async (req, res) => {
    const limit = Math.min(200, Math.max(0, Number(req.query.events ?? 20) || 20));
    res.json(await controller.status(limit));
  });
  app.all('/v1/cluster', methodNotAllowed(['GET']));

  app.get('/v1/events', read, async (req, res) => {
    const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 50) || 50));
    res.json({ events: (await controller.status(limit)).events });
  });
  app.all('/v1/events', methodNotAllowed(['GET']));

  app.get('/v1/placement', read, (_req, res) => {
    const matrix = subscriber.current();
    if (!matrix) throw new RedoubtError('PLACEMENT_UNAVAILABLE', 'no placement is known yet');
    res.json({
      epoch: matrix.epoch,
      source: subscriber.source(),
      nodes: subscriber.nodes(),
      loads: loads(matrix),
      placement: toJSON(matrix),
    });
  });
  app.all('/v1/placement', methodNotAllowed(['GET']));

  app.post('/v1/placement/plan', admin, jsonBody(planBody), async (req, res) => {
    const body = req.body as z.infer<typeof planBody>;
    const zone = body.action === 'add' ? (body.zone ?? (await options.zoneOf?.(body.node))) : undefined;
    const change: MembershipChange =
      body.action === 'add'
        ? {
            kind: 'add',
            servers: [{ id: body.node, zone: zone ?? body.node, weight: body.weight ?? 1 }],
          }
        : { kind: body.action, node: body.node };
    res.json({ preview: await controller.preview(change) });
  });
  app.all('/v1/placement/plan', methodNotAllowed(['POST']));

  app.post('/v1/nodes', admin, jsonBody(addBody), async (req, res) => {
    const body = req.body as z.infer<typeof addBody>;
    logger.info({ node: body.id, url: body.url, requestId: req.id }, 'operator: add node');
    const result = await controller.applyOperatorChange(
      {
        kind: 'add',
        node: body.id,
        url: body.url,
        zone: body.zone ?? (await options.zoneOf?.(body.id)),
        weight: body.weight,
      },
      { expectedEpoch: body.expectedEpoch, force: body.force },
    );
    res.status(202).json(result);
  });
  app.all('/v1/nodes', methodNotAllowed(['POST']));

  app.post('/v1/nodes/:id/drain', admin, jsonBody(guardBody), async (req, res) => {
    const node = parseBody(nodeId, req.params.id);
    const body = req.body as z.infer<typeof guardBody>;
    logger.info({ node, requestId: req.id }, 'operator: drain node');
    res.status(202).json(await controller.applyOperatorChange({ kind: 'drain', node }, body));
  });
  app.all('/v1/nodes/:id/drain', methodNotAllowed(['POST']));

  app.delete('/v1/nodes/:id', admin, jsonBody(guardBody), async (req, res) => {
    const node = parseBody(nodeId, req.params.id);
    const body = req.body as z.infer<typeof guardBody>;
    logger.info({ node, requestId: req.id }, 'operator: remove node');
    res.status(202).json(await controller.applyOperatorChange({ kind: 'remove', node }, body));
  });
  app.all('/v1/nodes/:id', methodNotAllowed(['DELETE']));

  return finishServiceApp(app, logger);
}
