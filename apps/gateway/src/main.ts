import { DataNodeClient } from '@redoubt/cluster-client';
import { loadConfigOrExit } from '@redoubt/config';
import { listen, onShutdown, servePlainRoutesFirst } from '@redoubt/http-kit';
import { createLogger } from '@redoubt/telemetry';
import { answerClientErrorsAsJson } from './client-error.js';
import { gatewayConfigSchema } from './gateway-config.js';
import { assembleGateway } from './gateway-assembly.js';
import { isKvPath } from './kv-handler.js';

const config = loadConfigOrExit(gatewayConfigSchema, 'gateway');
const logger = createLogger('gateway', config.LOG_LEVEL);
const gateway = assembleGateway(
  config,
  logger,
  (address, clusterToken, batchGuard) =>
    new DataNodeClient({
      ...address,
      clusterToken,
      batchGuard,
      timeoutMs: config.REPLICA_TIMEOUT_MS,
      maxInFlight: config.NODE_BATCHES_IN_FLIGHT,
    }),
);
const { server, port } = await listen(gateway.app, config.GATEWAY_PORT, config.GATEWAY_HOST);
servePlainRoutesFirst(server, gateway.app, (req) =>
  isKvPath(req.url ?? '') ? gateway.publicPath : undefined,
);
answerClientErrorsAsJson(server);
logger.info(
  {
    port,
    gatewayId: config.GATEWAY_ID,
    dataNodes: config.DATA_NODES.map((n) => n.id),
    quorum: gateway.parts.policy,
  },
  'gateway listening',
);
onShutdown(logger, [server], () => gateway.close());
