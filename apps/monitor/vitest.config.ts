import { projectTestConfig } from '../../vitest.shared.js';

// The end-to-end tests each run a cluster of real processes; one file at a time keeps a 2-core machine
// from starving them.
export default projectTestConfig('monitor', { testTimeout: 180_000, fileParallelism: false });
