import { loadConfigOrExit } from '@redoubt/config';
import { listen, onShutdown } from '@redoubt/http-kit';
import { createLogger } from '@redoubt/telemetry';
import { assembleWorker } from './worker-assembly.js';
import { workerConfigSchema } from './worker-config.js';

const config = loadConfigOrExit(workerConfigSchema, 'backup-worker');
const logger = createLogger('backup-worker', config.LOG_LEVEL);
const worker = assembleWorker(config, logger, (reason) => {
  // The watchdog could not revive a worker: exit so the supervisor (Docker, the local stack) restarts us.
  logger.fatal({ reason }, 'exiting so that the backup-worker is restarted');
  process.exit(1);
});
const { server, port } = await listen(worker.app, config.WORKER_PORT, config.WORKER_HOST);
await worker.start();
logger.info({ port, workerId: config.WORKER_ID }, 'backup-worker listening');
onShutdown(logger, [server], () => worker.close(), 20_000);
