import { projectTestConfig } from '../../vitest.shared.js';

// Integration tests start real data node processes; one file at a time keeps a 2-core machine responsive.
export default projectTestConfig('anti-entropy', { testTimeout: 60_000, fileParallelism: false });
