import { z } from 'zod';
import { MIN_SECRET_LENGTH, placeholderProblem } from './env-schemas.js';

/** One Sentinel's address. */
export interface SentinelAddress {
  host: string;
  port: number;
}

/**
 * How a service reaches the cluster's Redis: one server by URL, or a master found through Sentinel (the
 * sentinels are asked who the master of `name` is, and told again after a failover).
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: SentinelAddress[];
      /** The master's name as the sentinels know it (`sentinel monitor <name> ...`). */
      name: string;
      /** The password of the master and its replicas (`requirepass`/`masterauth`). */
      password?: string;
      /** The sentinels' own password (`requirepass` in sentinel.conf), when they have one. */
      sentinelPassword?: string;
    };

/** What a Redis connection is made from: a target, or a `redis://` URL (a single server). */
export type RedisEndpoint = RedisTarget | string;

/** An unset and an empty variable mean the same: not given (compose overrides can only blank a variable). */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** `host:port,host:port` — the sentinels (REDIS_SENTINELS). */
export const sentinelList = () =>
  z
    .string()
    .min(1)
    .transform((s, ctx) => {
      const sentinels: SentinelAddress[] = [];
      for (const part of s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const match = /^([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(part);
        const port = Number(match?.[2]);
        if (!match || port < 1 || port > 65535) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not host:port` });
          return z.NEVER;
        }
        sentinels.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
      }
      if (sentinels.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'lists no sentinel' });
        return z.NEVER;
      }
      return sentinels;
    });

/**
 * The Redis variables of every service (docs/service-contracts.md). Either REDIS_URL (one server), or
 * REDIS_SENTINELS with REDIS_SENTINEL_NAME (a master behind Sentinel); REDIS_PASSWORD is the servers'
 * password (in single mode only when the URL carries none), REDIS_SENTINEL_PASSWORD the sentinels' own.
 */
/** The password of a redis:// URL, or undefined when it has none. */
function redisPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/** A Redis password must be a real one too: long enough and no documented placeholder. */
function passwordProblem(password: string): string | undefined {
  return password.length < MIN_SECRET_LENGTH
    ? `must be at least ${MIN_SECRET_LENGTH} characters`
    : placeholderProblem(password);
}

const redisPasswordSchema = () =>
  z.string().superRefine((password, ctx) => {
    const problem = passwordProblem(password);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const redisEnvShape = {
  REDIS_URL: unsetWhenEmpty(
    z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be redis://host:port')
      .superRefine((url, ctx) => {
        // The password in redis://:password@host must be a real one too (compose's Redis has one).
        const password = redisPassword(url);
        if (password === undefined) return;
        const problem = passwordProblem(password);
        if (problem)
          ctx.addIssue({
            code: 'custom',
            message: problem.replace(/^(is |must )/, (m) => `its password ${m}`),
          });
      }),
  ),
  REDIS_SENTINELS: unsetWhenEmpty(sentinelList()),
  REDIS_SENTINEL_NAME: unsetWhenEmpty(
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must match [A-Za-z0-9_.-]{1,64}'),
  ),
  REDIS_PASSWORD: unsetWhenEmpty(redisPasswordSchema()),
  REDIS_SENTINEL_PASSWORD: unsetWhenEmpty(redisPasswordSchema()),
};

export interface RedisEnv {
  REDIS_URL?: string;
  REDIS_SENTINELS?: SentinelAddress[];
  REDIS_SENTINEL_NAME?: string;
  REDIS_PASSWORD?: string;
  REDIS_SENTINEL_PASSWORD?: string;
}

/** Exactly one way to Redis: REDIS_URL, or REDIS_SENTINELS with REDIS_SENTINEL_NAME. */
export function checkRedisEnv(c: RedisEnv, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (c.REDIS_SENTINELS && c.REDIS_URL)
    issue('REDIS_URL', 'set REDIS_URL (one Redis) or REDIS_SENTINELS (Redis behind Sentinel), not both');
  else if (!c.REDIS_SENTINELS && !c.REDIS_URL)
    issue(
      'REDIS_URL',
      'is required (redis://host:port), unless REDIS_SENTINELS and REDIS_SENTINEL_NAME are set',
    );
  if (c.REDIS_SENTINELS && !c.REDIS_SENTINEL_NAME)
    issue('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS (the master name the sentinels monitor)');
  if (!c.REDIS_SENTINELS && c.REDIS_SENTINEL_NAME)
    issue('REDIS_SENTINELS', `is required with REDIS_SENTINEL_NAME (host:port of the sentinels)`);
  if (!c.REDIS_SENTINELS && c.REDIS_SENTINEL_PASSWORD)
    issue('REDIS_SENTINEL_PASSWORD', 'applies only with REDIS_SENTINELS');
}

/** The target a checked configuration describes (call after `checkRedisEnv` passed). */
export function redisTargetOf(c: RedisEnv): RedisTarget {
  if (c.REDIS_SENTINELS && c.REDIS_SENTINEL_NAME)
    return {
      kind: 'sentinel',
      sentinels: c.REDIS_SENTINELS,
      name: c.REDIS_SENTINEL_NAME,
      ...(c.REDIS_PASSWORD ? { password: c.REDIS_PASSWORD } : {}),
      ...(c.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: c.REDIS_SENTINEL_PASSWORD } : {}),
    };
  if (!c.REDIS_URL) throw new Error('neither REDIS_URL nor REDIS_SENTINELS is set');
  const url = new URL(c.REDIS_URL);
  if (!c.REDIS_PASSWORD || url.password) return { kind: 'single', url: c.REDIS_URL };
  url.password = encodeURIComponent(c.REDIS_PASSWORD);
  return { kind: 'single', url: url.toString() };
}

/** For logs and status pages: where Redis is, without any password. */
export function describeRedisTarget(target: RedisEndpoint): string {
  const t = typeof target === 'string' ? ({ kind: 'single', url: target } as const) : target;
  if (t.kind === 'single') return t.url.replace(/\/\/[^@/]*@/, '//***@');
  return `sentinel ${t.name} via ${t.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
}

/** The variables that describe a target (what a stack hands its services), the inverse of `redisTargetOf`. */
export function redisEnvOf(target: RedisTarget): Record<string, string> {
  if (target.kind === 'single') return { REDIS_URL: target.url };
  return {
    REDIS_SENTINELS: target.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    REDIS_SENTINEL_NAME: target.name,
    ...(target.password ? { REDIS_PASSWORD: target.password } : {}),
    ...(target.sentinelPassword ? { REDIS_SENTINEL_PASSWORD: target.sentinelPassword } : {}),
  };
}
