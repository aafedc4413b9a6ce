import { env, z } from '@redoubt/config';

/** The data node's environment (docs/service-contracts.md). */
export const dataConfigSchema = z.object({
  NODE_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be [A-Za-z0-9_-]{1,64}'),
  DATA_HOST: env.host(),
  DATA_PORT: env.port().default(7101),
  DATA_DIR: z.string().min(1),
  CLUSTER_TOKEN: env.secret(),
  PARTITIONS: env
    .positiveInt()
    .max(2 ** 32)
    .default(4096),
  /** The storage engine of a new data directory (an existing one must match): log or lmdb (libs/storage). */
  STORE_ENGINE: z.enum(['log', 'lmdb']).default('log'),
  /**
   * How far ahead of this node's clock a record's version may be (ms): further is refused with
   * VERSION_AHEAD_OF_CLOCK (apps/data/src/version-guard.ts). 60 s, the gateway clock's own bound: NTP keeps
   * real clocks within milliseconds, so this only stops broken clocks and pinned keys.
   */
  MAX_CLOCK_DRIFT_MS: env.positiveInt().max(86_400_000).default(60_000),
  LOG_LEVEL: env.logLevel(),
  /** Enables POST /internal/v1/test/corrupt (damages a stored record): for tests only, never in production. */
  DATA_ENABLE_TEST_HOOKS: env.booleanFlag().default(false),
});

export type DataConfig = z.infer<typeof dataConfigSchema>;
