export { freePort } from './free-port.js';
export {
  startRedisServer,
  redisServerAvailable,
  waitForPort,
  type RedisServerHandle,
  type RedisServerOptions,
} from './redis-server-process.js';
export { ServiceProcess, REPO_ROOT, appEntry, type ServiceProcessOptions } from './service-process.js';
