import type { Server } from 'node:http';
import { pino } from 'pino';
import { loadConfigOrExit } from '@redoubt/config';
import { isRedoubtError } from '@redoubt/errors';
import { listen } from '@redoubt/http-kit';
import {
  generateSecret,
  portLayout,
  REDOUBT_STACK,
  startLocalStack,
  type LocalStack,
  type StackKeys,
  type StackLogEntry,
  type Supervisor,
} from '@redoubt/local-stack';
import { createMetricsRegistry } from '@redoubt/telemetry';
import { createControlApi } from './control-api.js';
import { createLogPrinter } from './log-format.js';
import { stackBanner } from './stack-banner.js';
import { parseStackFlags } from './stack-cli.js';
import { configuredPorts, controlPort, stackConfigSchema } from './stack-config.js';

const FORCE_AFTER_MS = 2_000;

/** `npm start`: flags and environment in, a supervised stack out, until a signal stops it. */
export async function runStack(argv: string[]): Promise<void> {
  const flags = parseStackFlags(argv);
  const config = loadConfigOrExit(stackConfigSchema, 'npm start');
  const shape = {
    dataNodes: flags.dataNodes,
    gateways: flags.gateways,
    worker: flags.worker,
    backups: flags.worker,
    instances: { monitor: flags.monitors },
    redis: flags.redis,
  };
  const printer = createLogPrinter({
    raw: flags.rawLogs,
    colour: !!process.stdout.isTTY && !process.env.NO_COLOR,
    width: Math.max(...REDOUBT_STACK.components.map((c) => c.name(1).length)),
  });
  const log = (entry: StackLogEntry) => {
    if (!flags.quiet || entry.stream === 'stack') printer(entry);
  };
  const note = (line: string, level: StackLogEntry['level'] = 'info') =>
    printer({ service: 'stack', stream: 'stack', level, line });
  const fail = (message: string): never => {
    console.error(message);
    process.exit(1);
  };

  let ports: Record<string, number> = {};
  try {
    ports = portLayout(REDOUBT_STACK, shape, {
      base: config.REDOUBT_BASE_PORT,
      first: configuredPorts(config),
    });
  } catch (error) {
    fail(`npm start: ${(error as Error).message}; choose a lower REDOUBT_BASE_PORT`);
  }
  const given: Record<keyof StackKeys, string | undefined> = {
    apiKey: config.REDOUBT_API_KEY,
    adminKey: config.REDOUBT_ADMIN_KEY,
    clusterToken: config.REDOUBT_CLUSTER_TOKEN,
  };
  const generated = Object.entries(given)
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  const keys: StackKeys = {
    apiKey: given.apiKey ?? generateSecret(),
    adminKey: given.adminKey ?? generateSecret(),
    clusterToken: given.clusterToken ?? generateSecret(),
  };

  // The control API listens first: its URL goes into stack.json and to services that drive the supervisor.
  let supervisor: Supervisor | undefined;
  // The stack once it runs (the control API adds data nodes to it).
  const running: { stack?: LocalStack } = {};
  const logger = pino(
    { name: 'stack', level: config.LOG_LEVEL, base: { service: 'stack' } },
    {
      write: (line: string) =>
        log({ service: 'stack', stream: 'stdout', level: 'info', line: line.trimEnd() }),
    },
  );
  const registry = createMetricsRegistry('stack');
  const api = createControlApi({
    supervisor: () => supervisor,
    stack: () => running.stack,
    adminKey: keys.adminKey,
    logger,
    registry,
  });
  let server: Server | undefined;
  let controlUrl = '';
  try {
    const bound = await listen(api, controlPort(config), '127.0.0.1');
    server = bound.server;
    controlUrl = `http://127.0.0.1:${bound.port}`;
  } catch (error) {
    fail(
      `npm start: the control API cannot listen on 127.0.0.1:${controlPort(config)} (${(error as Error).message}); ` +
        'set REDOUBT_CONTROL_PORT or REDOUBT_BASE_PORT, or stop what uses the port (another npm start?)',
    );
  }

  const starting = startLocalStack({
    home: config.REDOUBT_HOME,
    ...shape,
    ports,
    keys,
    partitions: config.REDOUBT_PARTITIONS,
    queuePrefix: config.REDOUBT_QUEUE_PREFIX,
    logLevel: config.LOG_LEVEL,
    fresh: flags.fresh,
    log,
    controlUrl,
    clockFaults: config.REDOUBT_CHAOS_CLOCK,
    onSupervisor: (created) => (supervisor = created),
  });

  // Ctrl-C reaches only this process (the children run in their own process groups): stop everything in
  // order. A signal repeated within FORCE_AFTER_MS is the same Ctrl-C arriving twice (npm forwards it);
  // a later one means "now": SIGKILL to every child.
  let stopping: Promise<void> | undefined;
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) {
      firstSignalAt = Date.now();
      note(`${signal} received`);
      stopping = (async () => {
        void supervisor?.stop();
        await starting.then(
          (stack) => stack.stop(),
          () => undefined,
        );
        await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
        server?.closeAllConnections();
        note('everything stopped');
        process.exit(0);
      })();
      return;
    }
    if (Date.now() - firstSignalAt < FORCE_AFTER_MS) return;
    note(`${signal} again: killing every process now (SIGKILL)`, 'error');
    supervisor?.killAllNow();
    process.exit(130);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  let stack: LocalStack;
  try {
    stack = await starting;
  } catch (error) {
    if (stopping) return; // stopped while starting: the signal handler finishes
    const message = (error as Error).message;
    const busy = isRedoubtError(error) ? error.details.busy : undefined;
    const hint = Array.isArray(busy)
      ? `\n  set ${portVariables(busy as string[]).join(' / ')} or REDOUBT_BASE_PORT (e.g. REDOUBT_BASE_PORT=20000), ` +
        'or stop what uses those ports (another npm start?)'
      : '';
    server?.close();
    return fail(`npm start: ${message}${hint}`);
  }

  running.stack = stack;
  process.stdout.write(stackBanner(stack, { controlUrl, generated }));
  stack.supervisor.on((event) => {
    if (event.type === 'gave-up')
      process.stdout.write(
        `\n!!! ${event.name} is DOWN for good: the supervisor gave up after ${event.crashes} rapid crashes.\n` +
          `!!! Fix the cause, then: curl -X POST -H 'x-redoubt-admin-key: <admin key>' ${controlUrl}/v1/processes/${event.name}/start\n\n`,
      );
  });
}

function portVariables(processNames: string[]): string[] {
  const variables = new Set<string>();
  for (const name of processNames) {
    const component = REDOUBT_STACK.components.find((c) =>
      Array.from({ length: c.maxInstances }, (_, i) => c.name(i + 1)).includes(name),
    );
    if (component) variables.add(component.portVariable);
  }
  return [...variables];
}
