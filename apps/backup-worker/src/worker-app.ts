import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Express } from 'express';
import { z } from '@redoubt/config';
import { createServiceApp, finishServiceApp, jsonBody } from '@redoubt/http-kit';
import type { JobProducer, RedisDurabilityCheck, RedisProbe, SupervisedWorker } from '@redoubt/queues';
import type { Logger, Registry } from '@redoubt/telemetry';
import { requireAdminKeyOrBasic } from './admin-auth.js';

export interface WorkerAppParts {
  workerId: string;
  adminKey: string;
  logger: Logger;
  registry: Registry;
  probe: RedisProbe;
  supervisors: () => readonly SupervisedWorker[];
  durability: () => RedisDurabilityCheck | undefined;
  /** Queues shown on Bull Board (their own connection, not the workers'). */
  boardQueues: readonly Queue[];
  producer: JobProducer;
  redisStaleMs: number;
  placementEpoch: () => number;
}

export const BULL_BOARD_PATH = '/admin/queues';

/** The admin bodies (400 BODY_INVALID naming the field otherwise); both may be empty. */
const sweepBody = z.strictObject({ partitions: z.array(z.number().int().min(0)).optional() });
const scrubBody = z.strictObject({
  node: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a node id ([A-Za-z0-9_-]{1,64})')
    .optional(),
});

/** Ready = Redis answered recently and every worker is running and not stuck. */
export function readiness(parts: WorkerAppParts): { ready: boolean; details: Record<string, unknown> } {
  const workers = parts.supervisors().map((s) => s.health());
  const redisFresh = parts.probe.isFresh(parts.redisStaleMs);
  const notRunning = workers.filter((w) => !w.running).map((w) => w.queue);
  const stuck = workers.filter((w) => w.stuck).map((w) => w.queue);
  const ready = redisFresh && workers.length > 0 && notRunning.length === 0 && stuck.length === 0;
  const age = parts.probe.sinceLastOk();
  return {
    ready,
    details: {
      worker: parts.workerId,
      redis: {
        answering: redisFresh,
        msSinceLastOk: Number.isFinite(age) ? age : null,
        durable: parts.durability()?.ok ?? null,
      },
      workers,
      ...(notRunning.length ? { notRunning } : {}),
      ...(stuck.length ? { stuck } : {}),
    },
  };
}

/**
 * The worker's HTTP surface: /healthz, /readyz (real progress, see readiness), /metrics; and behind the
 * admin key: Bull Board at /admin/queues, a status document, and triggers for a sweep or a scrub now.
 */
export function createWorkerApp(parts: WorkerAppParts): Express {
  const app = createServiceApp({
    service: 'backup-worker',
    logger: parts.logger,
    registry: parts.registry,
    ready: () => readiness(parts).ready,
    readiness: () => readiness(parts).details,
  });
  const admin = requireAdminKeyOrBasic(parts.adminKey);

  const board = new ExpressAdapter();
  board.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: parts.boardQueues.map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: `redoubt ${parts.workerId}` } },
  });
  app.use(BULL_BOARD_PATH, admin, board.getRouter());

  app.get('/admin/status', admin, (_req, res) => {
    const { ready, details } = readiness(parts);
    res.json({
      ready,
      placementEpoch: parts.placementEpoch(),
      durability: parts.durability() ?? null,
      ...details,
    });
  });

  app.post('/admin/anti-entropy/sweep', admin, jsonBody(sweepBody), async (req, res) => {
    const { partitions } = req.body as z.infer<typeof sweepBody>;
    const id = await parts.producer.antiEntropySweep(partitions ? { partitions } : {});
    res.status(202).json({ enqueued: id });
  });

  app.post('/admin/scrub', admin, jsonBody(scrubBody), async (req, res) => {
    const { node } = req.body as z.infer<typeof scrubBody>;
    const id = node ? await parts.producer.scrub({ node }) : await parts.producer.scrubSweep({});
    res.status(202).json({ enqueued: id });
  });

  return finishServiceApp(app, parts.logger);
}
