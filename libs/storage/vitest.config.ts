import { defineConfig, mergeConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.js';

/**
 * The engine-agnostic tests run once per storage engine (the fixtures read STORE_ENGINE); the tests of
 * what only one engine has (LMDB's aggregate checkpoints, the log's replay and compaction) run once.
 */
export default mergeConfig(
  projectTestConfig('storage'),
  defineConfig({
    test: {
      projects: [
        {
          extends: true,
          test: { name: 'lmdb', env: { STORE_ENGINE: 'lmdb' }, exclude: ['src/log-*.test.ts'] },
        },
        {
          extends: true,
          test: { name: 'log', env: { STORE_ENGINE: 'log' }, exclude: ['src/aggregates-recovery.test.ts'] },
        },
      ],
    },
  }),
);
