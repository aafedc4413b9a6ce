import { projectTestConfig } from '../../vitest.shared.js';

export default projectTestConfig('chaos-app', { testTimeout: 60_000 });
