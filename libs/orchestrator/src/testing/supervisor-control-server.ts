import type { Server } from 'node:http';
import { RedoubtError } from '@redoubt/errors';
import { createServiceApp, finishServiceApp, listen, requireAdminKey } from '@redoubt/http-kit';
import { PROCESS_ACTIONS, type Supervisor } from '@redoubt/local-stack';
import { createLogger, createMetricsRegistry } from '@redoubt/telemetry';

export interface SupervisorControlServer {
  url: string;
  /** Makes start/restart/resume of `name` fail (409), like a node whose host is gone. */
  refuse(name: string): void;
  allow(name: string): void;
  /** Every action request received, in order (`name action`). */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * The control API of `npm start` (apps/stack) over a Supervisor, the same routes and answers, for tests
 * that drive real processes through the local driver without the whole stack app. `refuse` lets a test
 * make a process impossible to bring back.
 */
export async function startSupervisorControlServer(options: {
  supervisor: Supervisor;
  adminKey: string;
}): Promise<SupervisorControlServer> {
  const logger = createLogger('control-test', 'silent');
  const app = createServiceApp({ service: 'stack', logger, registry: createMetricsRegistry('stack') });
  const refused = new Set<string>();
  const requests: string[] = [];
  app.use('/v1', requireAdminKey(options.adminKey));
  app.get('/v1/processes', (_req, res) => {
    res.json({ processes: options.supervisor.list() });
  });
  app.get('/v1/processes/:name', (req, res) => {
    res.json(options.supervisor.get(req.params.name).status());
  });
  app.post('/v1/processes/:name/:action', async (req, res) => {
    const { name, action } = req.params;
    requests.push(`${name} ${action}`);
    if (!(PROCESS_ACTIONS as readonly string[]).includes(action))
      throw new RedoubtError('ROUTE_NOT_FOUND', `no action "${action}"`);
    if (refused.has(name) && ['start', 'restart', 'resume'].includes(action))
      throw new RedoubtError('FAULT_REFUSED', `${name} cannot be brought back (refused by the test)`);
    res.json(await options.supervisor.control(name, action));
  });
  finishServiceApp(app, logger);
  const { server, port } = await listen(app, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    refuse: (name) => refused.add(name),
    allow: (name) => refused.delete(name),
    requests,
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
