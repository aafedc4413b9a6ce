import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { RedoubtError } from '@redoubt/errors';
import { createSecretChecker } from './secret-compare.js';

export const CLUSTER_TOKEN_HEADER = 'x-redoubt-cluster-token';
export const ADMIN_KEY_HEADER = 'x-redoubt-admin-key';

function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new RedoubtError('AUTH_INVALID', 'the Authorization header must be "Bearer <api key>"');
  return match[1];
}

/** Clients: `Authorization: Bearer <api key>`; several keys may be valid at once (rotation). */
export function requireApiKey(keys: readonly string[]): RequestHandler {
  const check = createSecretChecker(keys);
  return (req, _res, next) => {
    const key = bearerOf(req.headers.authorization);
    if (key === undefined)
      return next(new RedoubtError('AUTH_MISSING', 'an API key is required: Authorization: Bearer <key>'));
    if (!check(key)) return next(new RedoubtError('AUTH_INVALID', 'the API key is not valid'));
    next();
  };
}

type Headers = IncomingMessage['headers'];

/** Throws AUTH_MISSING / AUTH_INVALID unless `header` carries one of `secrets` (constant-time). */
function headerSecretCheck(
  header: string,
  secrets: readonly string[],
  what: string,
): (headers: Headers) => void {
  const check = createSecretChecker(secrets);
  return (headers) => {
    const value = headers[header];
    if (typeof value !== 'string' || value.length === 0) {
      throw new RedoubtError('AUTH_MISSING', `${what} is required in the ${header} header`);
    }
    if (!check(value)) throw new RedoubtError('AUTH_INVALID', `${what} is not valid`);
  };
}

function requireHeaderSecret(header: string, secrets: readonly string[], what: string): RequestHandler {
  const check = headerSecretCheck(header, secrets, what);
  return (req, _res, next) => {
    try {
      check(req.headers);
    } catch (error) {
      return next(error);
    }
    next();
  };
}

/** The cluster token check for plain node:http handlers; throws what requireClusterToken answers. */
export function clusterTokenCheck(token: string): (headers: Headers) => void {
  return headerSecretCheck(CLUSTER_TOKEN_HEADER, [token], 'the cluster token');
}

/** Internal endpoints (node to node): the cluster token. */
export function requireClusterToken(token: string): RequestHandler {
  return requireHeaderSecret(CLUSTER_TOKEN_HEADER, [token], 'the cluster token');
}

/** Admin and chaos endpoints: the admin key (also accepted as a Bearer token, for curl convenience). */
export function requireAdminKey(key: string): RequestHandler {
  const viaHeader = requireHeaderSecret(ADMIN_KEY_HEADER, [key], 'the admin key');
  const viaBearer = requireApiKey([key]);
  return (req, res, next) =>
    req.headers[ADMIN_KEY_HEADER] ? viaHeader(req, res, next) : viaBearer(req, res, next);
}
