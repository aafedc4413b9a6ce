export {
  createRedisConnection,
  reconnectAfterDemotion,
  sentinelOptions,
  type RedisRole,
} from './redis-connection.js';
export type { RedisEndpoint, RedisTarget, SentinelAddress } from '@redoubt/config';
export { describeRedisTarget } from '@redoubt/config';
