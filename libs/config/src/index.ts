export { loadConfig, loadConfigOrExit } from './load-config.js';
export { withSecretFiles, readSecretFilesIntoEnv, isSecretName, SECRET_FILE_SUFFIX } from './secret-files.js';
export * as env from './env-schemas.js';
export { z } from 'zod';
export { clusterEnvShape, checkClusterShape } from './cluster-env.js';
export {
  redisEnvShape,
  checkRedisEnv,
  redisTargetOf,
  redisEnvOf,
  describeRedisTarget,
  sentinelList,
  type RedisTarget,
  type RedisEndpoint,
  type RedisEnv,
  type SentinelAddress,
} from './redis-env.js';
