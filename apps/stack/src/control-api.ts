import type { Express } from 'express';
import { RedoubtError } from '@redoubt/errors';
import { createServiceApp, finishServiceApp, methodNotAllowed, requireAdminKey } from '@redoubt/http-kit';
import { PROCESS_ACTIONS, type Supervisor } from '@redoubt/local-stack';
import { Gauge, type Logger, type Registry } from '@redoubt/telemetry';

export interface ControlApiOptions {
  /** The supervisor once it exists (the API answers 503 before). */
  supervisor: () => Supervisor | undefined;
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
