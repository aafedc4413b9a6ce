import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import { RedoubtError } from '@redoubt/errors';
import { createServiceApp, finishServiceApp } from '@redoubt/http-kit';
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

  app.post('/admin/anti-entropy/sweep', admin, express.json({ limit: '64kb' }), async (req, res) => {
    const partitions = (req.body as { partitions?: unknown } | undefined)?.partitions;
    if (
      partitions !== undefined &&
      !(Array.isArray(partitions) && partitions.every((p) => Number.isInteger(p) && p >= 0))
    ) {
      throw new RedoubtError('BODY_INVALID', 'partitions must be an array of partition numbers');
    }
    const id = await parts.producer.antiEntropySweep(
      partitions ? { partitions: partitions as number[] } : {},
    );
    res.status(202).json({ enqueued: id });
  });

  app.post('/admin/scrub', admin, express.json({ limit: '64kb' }), async (req, res) => {
    const node = (req.body as { node?: unknown } | undefined)?.node;
    if (node !== undefined && typeof node !== 'string')
      throw new RedoubtError('BODY_INVALID', 'node must be a node id');
    const id = node ? await parts.producer.scrub({ node }) : await parts.producer.scrubSweep({});
    res.status(202).json({ enqueued: id });
  });

  return finishServiceApp(app, parts.logger);
}
