import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import { RedoubtError } from '@redoubt/errors';
import type { Logger, Registry } from '@redoubt/telemetry';
import { createAuthFailureReporter, type AuthFailureReporter } from './auth-failures.js';
import { errorBody, httpStatusFor } from './http-status.js';
import { fromBodyParserError } from './plain-route.js';

export interface ServiceAppOptions {
  service: string;
  logger: Logger;
  registry: Registry;
  /** Resolves true when the service can serve (store open, dependencies reachable); `/readyz` answers 503 otherwise. */
  ready?: () => boolean | Promise<boolean>;
  /** Extra fields for the readiness body (e.g. what is not ready). */
  readiness?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
}

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
  }
}

/**
 * An express app with what every redoubt service needs before its own routes: security headers, a request
 * id (taken from `x-request-id` when a caller passes one, so one id follows a request across services),
 * `/healthz` (alive), `/readyz` (able to serve) and `/metrics`. Finish with `finishServiceApp` to add the
 * 404 and error handlers after the service's routes.
 */
/** Each app's auth-failure reporter, made with its registry by createServiceApp for finishServiceApp. */
const reporters = new WeakMap<Express, AuthFailureReporter>();

export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  reporters.set(app, createAuthFailureReporter(options.registry, options.logger));
  app.disable('x-powered-by');
  app.disable('etag'); // ETags carry record versions; express must not invent its own
  app.set('query parser', 'simple');
  app.use(helmet({ contentSecurityPolicy: false, crossOriginResourcePolicy: false }));
  app.use((req, res, next) => {
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && /^[\w-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.id);
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({
      status: 'ok',
      service: options.service,
      pid: process.pid,
      uptimeSeconds: Math.round(process.uptime()),
    });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = options.ready ? await options.ready() : true;
    const extra = options.readiness ? await options.readiness() : {};
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not_ready', service: options.service, ...extra });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', options.registry.contentType);
    res.send(await options.registry.metrics());
  });
  return app;
}

/** 405 for a known path with the wrong method (with the Allow header). */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  return (req, res, next) => {
    res.setHeader('allow', allowed.join(', '));
    next(
      new RedoubtError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allowed.join(', ')}`, {
        allowed: [...allowed],
      }),
    );
  };
}

/** Adds the unknown-route handler and the one error handler that maps the catalogue to HTTP. */
export function finishServiceApp(app: Express, logger: Logger): Express {
  app.use((req, _res, next) =>
    next(new RedoubtError('ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`)),
  );
  const reportAuthFailure = reporters.get(app);
  const handler: ErrorRequestHandler = (rawError, req, res, _next) => {
    const error = fromBodyParserError(rawError);
    const status = httpStatusFor(error);
    if (!req.id) {
      req.id = randomUUID();
      if (!res.headersSent) res.setHeader('x-request-id', req.id);
    }
    if (status >= 500) logger.error({ err: rawError, requestId: req.id, path: req.path }, error.message);
    reportAuthFailure?.(error, { requestId: req.id, path: req.path, remote: req.socket.remoteAddress });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json(errorBody(error, req.id));
  };
  app.use(handler);
  return app;
}
