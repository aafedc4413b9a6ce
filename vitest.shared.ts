import { defineConfig } from 'vitest/config';

/**
 * One test configuration for every project: tests sit beside the code as `*.test.ts`; integration tests
 * that start real processes get generous timeouts (they are bounded by their own deadlines, not by speed).
 * Each run also writes a JSON result so that `npm test` can print one closing tally for the whole workspace.
 */
export function projectTestConfig(
  projectName: string,
  overrides: { testTimeout?: number; fileParallelism?: boolean } = {},
) {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
      environment: 'node',
      testTimeout: overrides.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      fileParallelism: overrides.fileParallelism ?? true,
      // In CI, one retry for a test that failed: the integration tests run real processes on a shared
      // 2-core machine, where a deadline can be missed under load. A real defect fails both attempts.
      retry: process.env.CI ? 1 : 0,
      reporters: ['default', 'json'],
      outputFile: { json: `../../.test-results/${projectName}.json` },
    },
  });
}
