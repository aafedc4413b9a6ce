import { projectTestConfig } from '../../vitest.shared.js';

// Every test file runs redis-server, three data nodes and a worker: one file at a time on a 2-core machine.
export default projectTestConfig('backup-worker', { testTimeout: 120_000, fileParallelism: false });
