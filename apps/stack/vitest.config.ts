import { projectTestConfig } from '../../vitest.shared.js';

export default projectTestConfig('stack', { testTimeout: 60_000 });
