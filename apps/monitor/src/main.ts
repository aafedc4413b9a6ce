import { loadConfigOrExit } from '@redoubt/config';
import { listen, onShutdown } from '@redoubt/http-kit';
import { createLogger } from '@redoubt/telemetry';
import { assembleMonitor } from './monitor-assembly.js';
import { monitorConfigSchema } from './monitor-config.js';

const config = loadConfigOrExit(monitorConfigSchema, 'monitor');
const logger = createLogger('monitor', config.LOG_LEVEL);
// The URL goes into the leader lease (followers redirect operators there): the configured one, else
// where this process listens.
const host = config.MONITOR_HOST === '0.0.0.0' ? '127.0.0.1' : config.MONITOR_HOST;
const monitorUrl = config.MONITOR_URL?.replace(/\/+$/, '') ?? `http://${host}:${config.MONITOR_PORT}`;
const monitor = await assembleMonitor(config, logger, monitorUrl);
const { server, port } = await listen(monitor.app, config.MONITOR_PORT, config.MONITOR_HOST);
await monitor.start();
logger.info(
  {
    port,
    monitorId: config.MONITOR_ID,
    orchestrator: config.ORCHESTRATOR,
    deadAfterMs: config.DEAD_AFTER_MS,
  },
  'monitor listening',
);
onShutdown(logger, [server], () => monitor.close());
