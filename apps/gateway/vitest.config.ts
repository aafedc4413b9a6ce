import { projectTestConfig } from '../../vitest.shared.js';

// Each integration test file runs a whole cluster (redis-server, three data nodes, gateways, a worker):
// one file at a time, so they do not fight over two cores.
export default projectTestConfig('gateway', { testTimeout: 180_000, fileParallelism: false });
