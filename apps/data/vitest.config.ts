import { projectTestConfig } from '../../vitest.shared.js';

export default projectTestConfig('data', { testTimeout: 60_000 });
