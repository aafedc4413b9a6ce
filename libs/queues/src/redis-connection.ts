// The factory lives in @redoubt/redis (one place for a single server and Sentinel); re-exported here
// because the queues' callers have always found it in this library.
export { createRedisConnection } from '@redoubt/redis';
