import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { z } from 'zod';
import { RedoubtError } from '@redoubt/errors';
import { createMetricsRegistry } from '@redoubt/telemetry';
import {
  ADMIN_KEY_HEADER,
  CLUSTER_TOKEN_HEADER,
  createServiceApp,
  finishServiceApp,
  jsonBody,
  listen,
  methodNotAllowed,
  requireAdminKey,
  requireApiKey,
  requireClusterToken,
  secretMatches,
} from './index.js';

const API_KEY = 'client-key-0123456789';
const TOKEN = 'cluster-token-0123456789';
const ADMIN = 'admin-key-0123456789ab';
let server: Server;
let base: string;
let ready = false;
/** What the service logged (JSON lines), to check what goes to the log and what does not. */
const logLines: Record<string, unknown>[] = [];
let lastBody: unknown;

beforeAll(async () => {
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const app = createServiceApp({
    service: 'test',
    logger,
    registry: createMetricsRegistry('test'),
    ready: () => ready,
  });
  app.get('/v1/thing', requireApiKey([API_KEY]), (_req, res) => res.json({ ok: true }));
  app.post('/v1/thing', requireApiKey([API_KEY]), express.raw({ type: () => true, limit: 16 }), (req, res) =>
    res.json({ bytes: (req.body as Buffer).length }),
  );
  app.all('/v1/thing', methodNotAllowed(['GET', 'POST']));
  app.get('/internal/ping', requireClusterToken(TOKEN), (_req, res) => res.json({ pong: true }));
  app.get('/admin/x', requireAdminKey(ADMIN), (_req, res) => res.json({ admin: true }));
  app.post(
    '/admin/sweep',
    requireAdminKey(ADMIN),
    jsonBody(
      z.object({ partitions: z.array(z.number().int().min(0)).optional(), node: z.string().optional() }),
    ),
    (req, res) => {
      lastBody = req.body;
      res.status(202).json({ ok: true });
    },
  );
  app.get('/v1/crash', () => {
    throw new Error('ENOENT: /var/lib/redoubt/secret-path is gone');
  });
  app.get('/v1/boom', () => {
    throw new RedoubtError('QUORUM_NOT_REACHED', 'only 1 of 2', { confirmed: 1 });
  });
  finishServiceApp(app, logger);
  const bound = await listen(app, 0, '127.0.0.1');
  server = bound.server;
  base = `http://127.0.0.1:${bound.port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

const auth = { authorization: `Bearer ${API_KEY}` };

describe('service app', () => {
  it('serves health always and readiness only when ready', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('answers 401 without an API key, 403 with a wrong one, 200 with a valid one', async () => {
    const missing = await fetch(`${base}/v1/thing`);
    expect(missing.status).toBe(401);
    expect(await errorCode(missing)).toBe('AUTH_MISSING');
    const wrong = await fetch(`${base}/v1/thing`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(403);
    expect(await errorCode(wrong)).toBe('AUTH_INVALID');
    const malformed = await fetch(`${base}/v1/thing`, { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(403);
    expect((await fetch(`${base}/v1/thing`, { headers: auth })).status).toBe(200);
  });

  it('guards internal routes with the cluster token and admin routes with the admin key', async () => {
    expect((await fetch(`${base}/internal/ping`)).status).toBe(401);
    expect((await fetch(`${base}/internal/ping`, { headers: { [CLUSTER_TOKEN_HEADER]: 'x' } })).status).toBe(
      403,
    );
    expect(
      (await fetch(`${base}/internal/ping`, { headers: { [CLUSTER_TOKEN_HEADER]: TOKEN } })).status,
    ).toBe(200);
    expect((await fetch(`${base}/admin/x`, { headers: { [ADMIN_KEY_HEADER]: ADMIN } })).status).toBe(200);
    expect((await fetch(`${base}/admin/x`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(
      200,
    );
    expect((await fetch(`${base}/admin/x`, { headers: auth })).status).toBe(403);
  });

  it('maps catalogue errors, unknown routes, wrong methods and oversized bodies to JSON errors', async () => {
    const boom = await fetch(`${base}/v1/boom`);
    expect(boom.status).toBe(503);
    expect(await boom.json()).toMatchObject({
      error: { code: 'QUORUM_NOT_REACHED', details: { confirmed: 1 } },
    });
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe('ROUTE_NOT_FOUND');
    const wrongMethod = await fetch(`${base}/v1/thing`, { method: 'DELETE', headers: auth });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
    const big = await fetch(`${base}/v1/thing`, { method: 'POST', headers: auth, body: 'x'.repeat(17) });
    expect(big.status).toBe(413);
    expect(await errorCode(big)).toBe('VALUE_TOO_LARGE');
  });

  it('propagates a caller request id and sets security headers', async () => {
    const res = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('admin JSON bodies', () => {
  const post = (body: string, type = 'application/json') =>
    fetch(`${base}/admin/sweep`, {
      method: 'POST',
      headers: { [ADMIN_KEY_HEADER]: ADMIN, 'content-type': type },
      body,
    });

  it('answers 400 BODY_INVALID with a JSON body to invalid JSON, never a 500', async () => {
    for (const body of ['{"partitions": [1,', 'not json', '{"a":1}}']) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(await errorCode(res)).toBe('BODY_INVALID');
    }
  });

  it('names the wrong field of a body that does not fit the schema', async () => {
    const res = await post('{"partitions": [1, "two"]}');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: {
        code: 'BODY_INVALID',
        message: expect.stringMatching(/^partitions\.1: /),
        details: { field: 'partitions.1' },
      },
    });
  });

  it('refuses a body that is not JSON instead of acting on defaults', async () => {
    const res = await post('{"partitions":[1]}', 'text/plain');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/application\/json/);
  });

  it('passes the parsed value on', async () => {
    expect((await post('{"partitions":[1,2]}')).status).toBe(202);
    expect(lastBody).toEqual({ partitions: [1, 2] });
  });
});

describe('internal errors', () => {
  it('answer a generic message with the request id; the real message only in the log', async () => {
    const res = await fetch(`${base}/v1/crash`);
    expect(res.status).toBe(500);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[\w-]{8,}$/);
    const text = await res.text();
    expect(text).not.toContain('secret-path');
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'INTERNAL', details: {} }, requestId });
    expect(text).toContain(`request id ${requestId}`);
    const logged = logLines.find((l) => l.requestId === requestId);
    expect(JSON.stringify(logged)).toContain('secret-path');
  });
});

describe('auth failures', () => {
  const count = async (reason: string) => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('redoubt_auth_failures_total{') && l.includes(`reason="${reason}"`));
    return Number(line?.split(' ').pop());
  };

  it('are counted by reason and logged without the secret', async () => {
    const missing = await count('missing');
    const invalid = await count('invalid');
    const wrongSecret = 'wrong-secret-value-0123456789';
    await fetch(`${base}/admin/x`);
    await fetch(`${base}/admin/x`, { headers: { [ADMIN_KEY_HEADER]: wrongSecret } });
    await fetch(`${base}/internal/ping`, { headers: { [CLUSTER_TOKEN_HEADER]: wrongSecret } });
    expect(await count('missing')).toBe(missing + 1);
    expect(await count('invalid')).toBe(invalid + 2);
    const lines = logLines.filter((l) => String(l.msg).startsWith('authentication failed'));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.some((l) => l.path === '/internal/ping' && l.reason === 'invalid')).toBe(true);
    expect(JSON.stringify(logLines)).not.toContain(wrongSecret);
  });
});

describe('secretMatches', () => {
  it('accepts any listed secret and nothing else, whatever the length', () => {
    expect(secretMatches('b', ['a', 'b'])).toBe(true);
    expect(secretMatches('', ['a'])).toBe(false);
    expect(secretMatches('a'.repeat(1000), ['a'])).toBe(false);
  });
});
