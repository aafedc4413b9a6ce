import { projectTestConfig } from '../../vitest.shared.js';

// Real processes: the whole-stack test starts redis, three data nodes and two gateways (twice).
export default projectTestConfig('local-stack', { testTimeout: 60_000 });
