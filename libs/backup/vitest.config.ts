import { projectTestConfig } from '../../vitest.shared.js';

// Integration tests restart real data node processes (a wipe is stop + delete + start): generous per-test
// timeouts for a loaded 2-core machine; every wait inside is bounded by its own deadline.
export default projectTestConfig('backup', { testTimeout: 180_000 });
