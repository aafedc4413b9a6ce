import { join } from 'node:path';
import { env, z } from '@redoubt/config';
import { REDOUBT_STACK, REPO_ROOT } from '@redoubt/local-stack';

/** An unset and an empty variable mean the same: not given. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** The control API's port: REDOUBT_CONTROL_PORT, else REDOUBT_BASE_PORT + 1, else this. */
export const CONTROL_DEFAULT_PORT = 7090;
export const CONTROL_PORT_OFFSET = 1;

/** Each component's own port variable (REDOUBT_REDIS_PORT, REDOUBT_DATA_PORT, ...), from the stack definition. */
const componentPorts = Object.fromEntries(
  REDOUBT_STACK.components.map((component) => [component.portVariable, optional(env.port())]),
);

/**
 * The environment of `npm start`. Secrets are optional here (unlike in the services): what is not given
 * is generated for the run. Validated before anything starts; a wrong value stops with its name.
 */
export const stackConfigSchema = z.object({
  /** Where state, logs and stack.json live. */
  REDOUBT_HOME: optional(z.string().min(1)).transform((home) => home ?? join(REPO_ROOT, '.redoubt')),
  REDOUBT_API_KEY: optional(env.secret()),
  REDOUBT_ADMIN_KEY: optional(env.secret()),
  REDOUBT_CLUSTER_TOKEN: optional(env.secret()),
  /** Lays every port out from here (0: any free ports). */
  REDOUBT_BASE_PORT: optional(env.port()),
  REDOUBT_CONTROL_PORT: optional(env.port()),
  ...componentPorts,
  REDOUBT_PARTITIONS: optional(env.positiveInt().max(1 << 24)).transform((p) => p ?? 4096),
  REDOUBT_QUEUE_PREFIX: optional(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must match [A-Za-z0-9_-]{1,64}')),
  LOG_LEVEL: env.logLevel(),
  /** Data nodes and gateways run under libfaketime so chaos runs can skew their clocks (docs/chaos.md). */
  REDOUBT_CHAOS_CLOCK: optional(env.booleanFlag()).transform((v) => v ?? false),
});

export type StackConfig = z.infer<typeof stackConfigSchema>;

/** The port variables given, by name (for portLayout). */
export function configuredPorts(config: StackConfig): Record<string, number | undefined> {
  const values = config as unknown as Record<string, number | undefined>;
  return Object.fromEntries(REDOUBT_STACK.components.map((c) => [c.portVariable, values[c.portVariable]]));
}

export function controlPort(config: StackConfig): number {
  if (config.REDOUBT_CONTROL_PORT !== undefined) return config.REDOUBT_CONTROL_PORT;
  if (config.REDOUBT_BASE_PORT === 0) return 0;
  if (config.REDOUBT_BASE_PORT !== undefined) return config.REDOUBT_BASE_PORT + CONTROL_PORT_OFFSET;
  return CONTROL_DEFAULT_PORT;
}
