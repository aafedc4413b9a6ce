import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import type { Server } from 'node:http';
import { RedoubtError } from '@redoubt/errors';
import { createLogger, createMetricsRegistry } from '@redoubt/telemetry';
import {
  ADMIN_KEY_HEADER,
  CLUSTER_TOKEN_HEADER,
  createServiceApp,
  finishServiceApp,
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

beforeAll(async () => {
  const logger = createLogger('http-kit-test', 'silent');
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

describe('secretMatches', () => {
  it('accepts any listed secret and nothing else, whatever the length', () => {
    expect(secretMatches('b', ['a', 'b'])).toBe(true);
    expect(secretMatches('', ['a'])).toBe(false);
    expect(secretMatches('a'.repeat(1000), ['a'])).toBe(false);
  });
});
