import express, { type RequestHandler } from 'express';
import type { z } from 'zod';
import { RedoubtError } from '@redoubt/errors';

/**
 * Checks a parsed JSON body against a zod schema: the value, or BODY_INVALID (400) naming the first wrong
 * field (`partitions.2: expected number`). A missing body is checked as `{}`, so optional fields work.
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.');
  throw new RedoubtError('BODY_INVALID', `${field || 'body'}: ${issue.message}`, {
    field: field || null,
  });
}

/**
 * The middleware of an admin route with a JSON body: reads at most `limit` (VALUE_TOO_LARGE beyond),
 * refuses a body that is not `application/json` (it would otherwise be ignored, and the route act on
 * defaults the caller did not ask for) or not valid JSON (BODY_INVALID, 400 — never a 500), and leaves the
 * schema's value in `req.body`.
 */
export function jsonBody<T>(schema: z.ZodType<T>, limit = '64kb'): RequestHandler {
  const read = express.json({ limit, strict: true });
  return (req, res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'];
    if (hasBody && !req.is('application/json')) {
      return next(new RedoubtError('BODY_INVALID', 'the body must be JSON (content-type: application/json)'));
    }
    read(req, res, (error?: unknown) => {
      if (error) return next(error);
      try {
        req.body = parseBody(schema, req.body);
      } catch (invalid) {
        return next(invalid);
      }
      next();
    });
  };
}
