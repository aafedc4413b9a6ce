import { projectTestConfig } from '../../vitest.shared.js';

export default projectTestConfig('dashboards', { testTimeout: 120_000 });
