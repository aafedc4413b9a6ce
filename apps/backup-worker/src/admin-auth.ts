import type { RequestHandler } from 'express';
import { RedoubtError } from '@redoubt/errors';
import { createSecretChecker, requireAdminKey } from '@redoubt/http-kit';

/**
 * The admin key, accepted the usual ways (x-redoubt-admin-key header, Bearer token) and, for Bull Board
 * in a browser, as the password of HTTP Basic auth (any user name): a browser cannot add custom headers to
 * the board's own requests, but it does resend Basic credentials. Without credentials the answer carries
 * `WWW-Authenticate: Basic` so the browser asks for them.
 */
export function requireAdminKeyOrBasic(adminKey: string): RequestHandler {
  const viaHeaders = requireAdminKey(adminKey);
  const check = createSecretChecker([adminKey]);
  return (req, res, next) => {
    const authorization = req.headers.authorization;
    if (authorization && /^Basic\s+/i.test(authorization)) {
      const decoded = Buffer.from(authorization.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
      const password = decoded.slice(decoded.indexOf(':') + 1);
      if (decoded.includes(':') && check(password)) return next();
      res.setHeader('www-authenticate', 'Basic realm="redoubt-admin", charset="UTF-8"');
      return next(new RedoubtError('AUTH_INVALID', 'the admin key is not valid'));
    }
    if (!authorization && !req.headers['x-redoubt-admin-key']) {
      res.setHeader('www-authenticate', 'Basic realm="redoubt-admin", charset="UTF-8"');
    }
    return viaHeaders(req, res, next);
  };
}
