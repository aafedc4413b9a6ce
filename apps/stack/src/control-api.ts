import type { Express } from 'express';
import { RedoubtError } from '@redoubt/errors';
import { z } from '@redoubt/config';
import {
  createServiceApp,
  finishServiceApp,
  jsonBody,
  methodNotAllowed,
  requireAdminKey,
} from '@redoubt/http-kit';
import { PROCESS_ACTIONS, type LocalStack, type Supervisor } from '@redoubt/local-stack';
import { Gauge, type Logger, type Registry } from '@redoubt/telemetry';

export interface ControlApiOptions {
  /** The supervisor once it exists (the API answers 503 before). */
  supervisor: () => Supervisor | undefined;
  /** The stack once it runs, for adding and retiring data nodes (503 before). */
  stack?: () => LocalStack | undefined;
  adminKey: string;
  logger: Logger;
  registry: Registry;
}

/**
 * The supervisor on HTTP, for the monitor's `local` orchestrator driver and the chaos app's local fault
 * driver (loopback only, admin key):
 *
 *   GET  /v1/processes                 every process: name, role, pid, state, restarts, crashes, last exit
 *   GET  /v1/processes/:name
 *   POST /v1/processes/:name/:action   start | stop | kill | crash | restart | pause | resume
 *   POST   /v1/data-nodes              {id?}: start one more data node (d<n>), supervised; answers once ready
 *   DELETE /v1/data-nodes/:id          stop a data node added at run time for good (after `redoubt node remove`)
 *
 * `kill` and `stop` keep the process down (as `docker kill`/`docker stop` do); `crash` is a SIGKILL the
 * supervisor treats as a crash and restarts by policy. Responses carry the process's status afterwards.
 */
export function createControlApi(options: ControlApiOptions): Express {
  const { logger, registry } = options;
  const supervisor = (): Supervisor => {
    const current = options.supervisor();
    if (!current) throw new RedoubtError('REPLICA_UNAVAILABLE', 'the stack is still starting');
    return current;
  };
  registerProcessMetrics(registry, options.supervisor);

  const app = createServiceApp({ service: 'stack', logger, registry, ready: () => !!options.supervisor() });
  app.use('/v1', requireAdminKey(options.adminKey));
  app.get('/v1/processes', (_req, res) => {
    res.json({ processes: supervisor().list() });
  });
  app.all('/v1/processes', methodNotAllowed(['GET']));
  app.get('/v1/processes/:name', (req, res) => {
    res.json(supervisor().get(req.params.name).status());
  });
  app.all('/v1/processes/:name', methodNotAllowed(['GET']));
  app.post('/v1/processes/:name/:action', async (req, res) => {
    const { name, action } = req.params;
    if (!(PROCESS_ACTIONS as readonly string[]).includes(action))
      throw new RedoubtError(
        'ROUTE_NOT_FOUND',
        `no action "${action}"; use one of ${PROCESS_ACTIONS.join(', ')}`,
      );
    logger.info({ process: name, action, requestId: req.id }, 'control request');
    res.json(await supervisor().control(name, action));
  });
  app.all('/v1/processes/:name/:action', methodNotAllowed(['POST']));

  // Capacity: the local equivalent of scaling a StatefulSet (placement is still the monitor's: `redoubt node add`).
  const stack = (): LocalStack => {
    const current = options.stack?.();
    if (!current) throw new RedoubtError('REPLICA_UNAVAILABLE', 'the stack is still starting');
    return current;
  };
  const addBody = z.object({
    id: z
      .string()
      .regex(/^d[1-9]\d*$/, 'must be d<n>, e.g. d4')
      .optional(),
  });
  app.post('/v1/data-nodes', jsonBody(addBody), async (req, res) => {
    const { id } = req.body as z.infer<typeof addBody>;
    logger.info({ id: id ?? null, requestId: req.id }, 'add a data node');
    res.json(await stack().addDataNode(id));
  });
  app.all('/v1/data-nodes', methodNotAllowed(['POST']));
  app.delete('/v1/data-nodes/:id', async (req, res) => {
    logger.info({ id: req.params.id, requestId: req.id }, 'retire a data node');
    await stack().retireDataNode(req.params.id);
    res.json({ retired: req.params.id });
  });
  app.all('/v1/data-nodes/:id', methodNotAllowed(['DELETE']));
  return finishServiceApp(app, logger);
}

/** Per-process gauges, read from the supervisor when Prometheus scrapes. */
function registerProcessMetrics(registry: Registry, supervisor: () => Supervisor | undefined): void {
  new Gauge({
    name: 'redoubt_stack_process_up',
    help: 'Whether a supervised process is running and not paused (1) or not (0)',
    labelNames: ['process', 'role', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of supervisor()?.list() ?? [])
        this.set({ process: s.name, role: s.role, state: s.state }, s.state === 'running' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'redoubt_stack_process_restarts',
    help: 'Starts of a supervised process after its first one (by policy after a crash, or on request)',
    labelNames: ['process', 'role'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of supervisor()?.list() ?? []) this.set({ process: s.name, role: s.role }, s.restarts);
    },
  });
}
