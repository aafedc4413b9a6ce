import { projectTestConfig } from '../../vitest.shared.js';

export default projectTestConfig('cli', { testTimeout: 60_000 });
