import { projectTestConfig } from '../../vitest.shared.js';

export default projectTestConfig('quorum', { testTimeout: 60_000 });
