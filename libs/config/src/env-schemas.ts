import { z } from 'zod';

/** Building blocks for service configuration; every value arrives as a string from the environment. */

export const port = () => z.coerce.number().int().min(0).max(65535);

export const positiveInt = () => z.coerce.number().int().positive();

export const nonNegativeInt = () => z.coerce.number().int().min(0);

export const host = () => z.string().min(1).default('127.0.0.1');

/** The shortest secret a service accepts (`npm run make-env` and `npm start` generate 48 hex digits). */
export const MIN_SECRET_LENGTH = 16;

/**
 * Why `value` is a documented placeholder rather than a secret, or undefined when it is not one: the
 * markers the repository's examples and old compose defaults used (`change-me`, `local-only-…`,
 * `replace-me`, `placeholder`, `example`). Such a value is public, so a service refuses it instead of running
 * with a secret anyone can read.
 */
export function placeholderProblem(value: string): string | undefined {
  const v = value.toLowerCase();
  if (/change[-_ ]?me|replace[-_ ]?me|placeholder|example|^local[-_]only/.test(v)) {
    return 'is a documented placeholder, not a secret (run npm run make-env, or openssl rand -hex 24)';
  }
  return undefined;
}

/** Secrets: from the environment only, never defaults in code; long enough to resist guessing. */
export const secret = () =>
  z
    .string()
    .min(
      MIN_SECRET_LENGTH,
      `must be at least ${MIN_SECRET_LENGTH} characters (generate one with: openssl rand -hex 24)`,
    )
    .superRefine((value, ctx) => {
      const problem = placeholderProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/** A comma-separated list of secrets (API keys can be rotated by listing old and new). */
export const secretList = () =>
  z
    .string()
    .min(1)
    .transform((s) =>
      s
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    )
    .pipe(z.array(secret()).min(1));

export const booleanFlag = () =>
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

export const httpUrl = () => z.url({ protocol: /^https?$/ });

/** `id=url,id=url` — how a node list is written in one variable (e.g. DATA_NODES). */
export const idUrlList = () =>
  z
    .string()
    .min(1)
    .transform((s, ctx) => {
      const entries: { id: string; url: string }[] = [];
      for (const part of s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const eq = part.indexOf('=');
        const id = part.slice(0, eq);
        const url = part.slice(eq + 1);
        if (eq <= 0 || !/^[A-Za-z0-9_-]{1,64}$/.test(id) || !/^https?:\/\/[^\s]+$/.test(url)) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not id=http://host:port` });
          return z.NEVER;
        }
        entries.push({ id, url: url.replace(/\/+$/, '') });
      }
      if (new Set(entries.map((e) => e.id)).size !== entries.length) {
        ctx.addIssue({ code: 'custom', message: 'duplicate node id' });
        return z.NEVER;
      }
      return entries;
    });

export const logLevel = () =>
  z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** `id=zone,...` — the failure domain of each data node (DATA_NODE_ZONES); unset: each node its own zone. */
export const zoneList = () =>
  z
    .string()
    .default('')
    .transform((s, ctx) => {
      const zones = new Map<string, string>();
      for (const part of s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const [id, zone, extra] = part.split('=');
        if (!id || !zone || extra !== undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(zone)) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not id=zone` });
          return z.NEVER;
        }
        if (zones.has(id)) {
          ctx.addIssue({ code: 'custom', message: `${id} appears twice` });
          return z.NEVER;
        }
        zones.set(id, zone);
      }
      return zones;
    });
