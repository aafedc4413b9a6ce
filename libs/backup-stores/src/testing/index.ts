export { startS3rver, S3RVER_MAIN, S3RVER_NODE_ARGS, type S3rverProcess } from './s3rver-process.js';
export { startSlowDownProxy, type SlowDownProxy } from './slowdown-proxy.js';
