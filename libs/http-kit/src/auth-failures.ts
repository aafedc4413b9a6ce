import type { RedoubtError } from '@redoubt/errors';
import { Counter, type Logger, type Registry } from '@redoubt/telemetry';

export const AUTH_FAILURES_METRIC = 'redoubt_auth_failures_total';

/** Where a refused request came from, for the log line (never the credential itself). */
export interface AuthFailureContext {
  requestId?: string;
  path?: string;
  remote?: string;
}

export type AuthFailureReporter = (error: RedoubtError, context: AuthFailureContext) => void;

/**
 * Counts and logs refused credentials (AUTH_MISSING: none given, AUTH_INVALID: wrong or malformed) so
 * that guessing shows on a dashboard: `redoubt_auth_failures_total{service,reason}` (service is the
 * registry's default label). The log line names the path, the peer and the request id, never the secret
 * (the catalogue's auth messages do not carry it). Other errors are ignored, so every transport can hand
 * it each error it answers.
 */
export function createAuthFailureReporter(registry: Registry, logger: Logger): AuthFailureReporter {
  const counter =
    (registry.getSingleMetric(AUTH_FAILURES_METRIC) as Counter<'reason'> | undefined) ??
    new Counter({
      name: AUTH_FAILURES_METRIC,
      help: 'Requests refused for a missing or invalid credential (API key, admin key, cluster token)',
      labelNames: ['reason'],
      registers: [registry],
    });
  counter.inc({ reason: 'missing' }, 0);
  counter.inc({ reason: 'invalid' }, 0);
  return (error, context) => {
    if (error.code !== 'AUTH_MISSING' && error.code !== 'AUTH_INVALID') return;
    const reason = error.code === 'AUTH_MISSING' ? 'missing' : 'invalid';
    counter.inc({ reason });
    logger.warn({ ...context, reason, code: error.code }, `authentication failed: ${error.message}`);
  };
}
