import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { eventually, TestCluster } from './testing/test-cluster.js';

let cluster: TestCluster;
const MAX_VALUE_BYTES = 64 * 1024;

beforeAll(async () => {
  cluster = await TestCluster.start({ gatewayEnv: { MAX_VALUE_BYTES: String(MAX_VALUE_BYTES) } });
});

afterAll(async () => {
  await cluster?.stop();
});

const etagOf = (res: Response) => res.headers.get('etag')!.replaceAll('"', '');
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; details: object } }).error;

describe('PUT / GET / HEAD / DELETE', () => {
  it('round-trips a value with its content type and version (ETag)', async () => {
    const put = await cluster.put('greeting', 'hello', { 'content-type': 'text/plain; charset=utf-8' });
    expect(put.status).toBe(201);
    const body = (await put.json()) as { key: string; version: string; confirmed: number };
    expect(body.key).toBe('greeting');
    expect(body.confirmed).toBeGreaterThanOrEqual(2);
    expect(etagOf(put)).toBe(body.version);

    const get = await cluster.get('greeting');
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(etagOf(get)).toBe(body.version);
    expect(await get.text()).toBe('hello');
  });

  it('gives every overwrite a newer version and returns the newest value', async () => {
    const versions: string[] = [];
    for (const value of ['v1', 'v2', 'v3']) {
      const res = await cluster.put('counter', value);
      expect(res.status).toBe(201);
      versions.push(etagOf(res));
    }
    expect([...versions].sort()).toEqual(versions);
    expect(new Set(versions).size).toBe(3);
    const get = await cluster.get('counter');
    expect(await get.text()).toBe('v3');
    expect(etagOf(get)).toBe(versions[2]);
  });

  it('deletes with a tombstone: GET and HEAD answer 404, a later PUT brings the key back', async () => {
    await cluster.put('doomed', 'x');
    const del = await cluster.request('/v1/kv/doomed', { method: 'DELETE' });
    expect(del.status).toBe(204);
    const tombstoneVersion = etagOf(del);
    const get = await cluster.get('doomed');
    expect(get.status).toBe(404);
    expect(await errorOf(get)).toMatchObject({
      code: 'RECORD_NOT_FOUND',
      details: { deletedVersion: tombstoneVersion },
    });
    expect((await cluster.request('/v1/kv/doomed', { method: 'HEAD' })).status).toBe(404);
    const again = await cluster.put('doomed', 'back');
    expect(again.status).toBe(201);
    expect(etagOf(again) > tombstoneVersion).toBe(true);
    expect(await (await cluster.get('doomed')).text()).toBe('back');
  });

  it('answers 404 for a key never written, and 204 for deleting it', async () => {
    const get = await cluster.get('never-written');
    expect(get.status).toBe(404);
    expect((await errorOf(get)).code).toBe('RECORD_NOT_FOUND');
    expect((await cluster.request('/v1/kv/never-written-2', { method: 'DELETE' })).status).toBe(204);
  });

  it('stores binary values byte for byte, including every byte value and an empty value', async () => {
    const bytes = new Uint8Array(60_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    expect((await cluster.put('blob', bytes, { 'content-type': 'application/octet-stream' })).status).toBe(
      201,
    );
    const get = await cluster.get('blob');
    expect(get.headers.get('content-length')).toBe(String(bytes.length));
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(bytes);

    expect((await cluster.put('empty', new Uint8Array(0))).status).toBe(201);
    const empty = await cluster.get('empty');
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-type')).toBe('application/octet-stream');
    expect((await empty.arrayBuffer()).byteLength).toBe(0);
  });

  it('keeps any content type as sent (JSON, HTML served sandboxed)', async () => {
    await cluster.put('doc.json', '{"a":1}', { 'content-type': 'application/json' });
    const json = await cluster.get('doc.json');
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual({ a: 1 });
    await cluster.put('page', '<script>alert(1)</script>', { 'content-type': 'text/html' });
    const html = await cluster.get('page');
    expect(html.headers.get('content-type')).toBe('text/html');
    expect(html.headers.get('content-security-policy')).toContain('sandbox');
    expect(html.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('takes keys percent-encoded in the path: encoded slashes, unicode, reserved characters, 1024 bytes', async () => {
    const keys = [
      'a/b',
      'a%2Fb literally',
      'ключ/🔑',
      'q?x=1#frag',
      ' spaced ',
      'k'.repeat(1024),
      'é'.repeat(512),
    ];
    for (const key of keys) {
      const put = await cluster.put(key, `value of ${key}`);
      expect(put.status, key).toBe(201);
      expect(((await put.json()) as { key: string }).key).toBe(key);
    }
    for (const key of keys) expect(await (await cluster.get(key)).text()).toBe(`value of ${key}`);
    // `a%2Fb` and `a/b` in the path name the same key
    expect(await (await cluster.request('/v1/kv/a/b')).text()).toBe('value of a/b');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const put = await cluster.put('headed', 'twelve bytes');
    const head = await cluster.request('/v1/kv/headed', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('12');
    expect(etagOf(head)).toBe(etagOf(put));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('accepts every consistency level on writes and reads', async () => {
    for (const level of ['one', 'quorum', 'all']) {
      const put = await cluster.put(`level-${level}`, level, { 'x-redoubt-consistency': level });
      expect(put.status).toBe(201);
      const body = (await put.json()) as { confirmed: number };
      expect(body.confirmed).toBeGreaterThanOrEqual(level === 'one' ? 1 : level === 'quorum' ? 2 : 3);
      // W + R > N for quorum and all: the read sees the write at once. With one/one it may not (that is
      // what `one` means); the write reaches every replica shortly after.
      const read = () =>
        cluster.get(`level-${level}`, { 'x-redoubt-consistency': level }).then((r) => r.text());
      if (level === 'one')
        await eventually(`a one/one read sees the write`, async () => (await read()) === level);
      else expect(await read()).toBe(level);
    }
  });
});

/** A raw HTTP request, for what fetch refuses to send (bad header bytes, odd paths). */
function rawRequest(text: string): Promise<string> {
  const url = new URL(cluster.gatewayUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let response = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (response += chunk));
    socket.on('end', () => resolve(response));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
    socket.write(text);
  });
}

describe('bad input', () => {
  const auth = () => `Bearer ${cluster.apiKey}`;
  type Case = {
    name: string;
    path: string;
    method?: string;
    headers?: Record<string, string>;
    body?: RequestInit['body'];
    status: number;
    code: string;
  };
  const cases: Case[] = [
    {
      name: 'no API key',
      path: '/v1/kv/k',
      headers: { authorization: '' },
      status: 401,
      code: 'AUTH_MISSING',
    },
    {
      name: 'wrong API key',
      path: '/v1/kv/k',
      headers: { authorization: 'Bearer not-a-valid-key-123' },
      status: 403,
      code: 'AUTH_INVALID',
    },
    {
      name: 'not a Bearer header',
      path: '/v1/kv/k',
      headers: { authorization: 'Basic dXNlcjpwdw==' },
      status: 403,
      code: 'AUTH_INVALID',
    },
    {
      name: 'wrong key on PUT',
      path: '/v1/kv/k',
      method: 'PUT',
      body: 'x',
      headers: { authorization: 'Bearer nope' },
      status: 403,
      code: 'AUTH_INVALID',
    },
    { name: 'empty key', path: '/v1/kv/', status: 400, code: 'KEY_EMPTY' },
    { name: 'empty key, PUT', path: '/v1/kv/', method: 'PUT', body: 'x', status: 400, code: 'KEY_EMPTY' },
    { name: 'no key segment', path: '/v1/kv', status: 400, code: 'KEY_EMPTY' },
    { name: 'key of 1025 bytes', path: `/v1/kv/${'k'.repeat(1025)}`, status: 400, code: 'KEY_TOO_LONG' },
    {
      name: 'key of 1026 UTF-8 bytes',
      path: `/v1/kv/${encodeURIComponent('é'.repeat(513))}`,
      method: 'PUT',
      body: 'x',
      status: 400,
      code: 'KEY_TOO_LONG',
    },
    { name: 'truncated percent-encoding', path: '/v1/kv/%E0%A4%A', status: 400, code: 'KEY_INVALID' },
    { name: 'invalid UTF-8 bytes', path: '/v1/kv/%FF%FE', status: 400, code: 'KEY_INVALID' },
    { name: 'encoded lone surrogate', path: '/v1/kv/%ED%A0%80', status: 400, code: 'KEY_INVALID' },
    {
      name: 'NUL in the key',
      path: '/v1/kv/a%00b',
      method: 'PUT',
      body: 'x',
      status: 400,
      code: 'KEY_INVALID',
    },
    { name: 'CR LF in the key', path: '/v1/kv/a%0D%0Ab', status: 400, code: 'KEY_INVALID' },
    { name: 'ESC in the key', path: '/v1/kv/%1B%5B2J', status: 400, code: 'KEY_INVALID' },
    { name: 'DEL in the key', path: '/v1/kv/a%7F', method: 'DELETE', status: 400, code: 'KEY_INVALID' },
    { name: 'C1 CSI in the key', path: '/v1/kv/a%C2%9B', status: 400, code: 'KEY_INVALID' },
    {
      name: 'unknown consistency level',
      path: '/v1/kv/k',
      headers: { 'x-redoubt-consistency': 'strong' },
      status: 400,
      code: 'CONSISTENCY_INVALID',
    },
    {
      name: 'upper-case consistency level on PUT',
      path: '/v1/kv/k',
      method: 'PUT',
      body: 'x',
      headers: { 'x-redoubt-consistency': 'ALL' },
      status: 400,
      code: 'CONSISTENCY_INVALID',
    },
    {
      name: 'content type too long',
      path: '/v1/kv/k',
      method: 'PUT',
      body: 'x',
      headers: { 'content-type': `text/${'x'.repeat(300)}` },
      status: 400,
      code: 'HEADER_INVALID',
    },
    {
      name: 'content-encoded body',
      path: '/v1/kv/k',
      method: 'PUT',
      body: 'x',
      headers: { 'content-encoding': 'gzip' },
      status: 400,
      code: 'BODY_INVALID',
    },
    {
      name: 'body over the limit',
      path: '/v1/kv/big',
      method: 'PUT',
      body: new Uint8Array(MAX_VALUE_BYTES + 1),
      status: 413,
      code: 'VALUE_TOO_LARGE',
    },
    { name: 'POST', path: '/v1/kv/k', method: 'POST', body: 'x', status: 405, code: 'METHOD_NOT_ALLOWED' },
    { name: 'PATCH', path: '/v1/kv/k', method: 'PATCH', body: 'x', status: 405, code: 'METHOD_NOT_ALLOWED' },
    { name: 'unknown route', path: '/v1/values/k', status: 404, code: 'ROUTE_NOT_FOUND' },
    {
      name: 'unknown route, no auth',
      path: '/nope',
      headers: { authorization: '' },
      status: 404,
      code: 'ROUTE_NOT_FOUND',
    },
    { name: 'admin status with a client key', path: '/admin/status', status: 403, code: 'AUTH_INVALID' },
    {
      name: 'admin status without a key',
      path: '/admin/status',
      headers: { authorization: '' },
      status: 401,
      code: 'AUTH_MISSING',
    },
    {
      name: 'POST to the OpenAPI document',
      path: '/v1/openapi.json',
      method: 'POST',
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
    },
  ];

  it.each(cases)('$name -> $status $code', async (c) => {
    const headers: Record<string, string> = { authorization: auth(), ...c.headers };
    if (headers.authorization === '') delete headers.authorization;
    const res = await fetch(cluster.gatewayUrl + c.path, {
      method: c.method ?? 'GET',
      headers,
      body: c.body,
      signal: AbortSignal.timeout(20_000),
    });
    expect(res.status).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const error = await errorOf(res);
    expect(error.code).toBe(c.code);
    if (c.status === 405) expect(res.headers.get('allow')).toMatch(/GET/);
  });

  it('refuses a chunked body over the limit with 413 (no content-length to check up front)', async () => {
    const url = new URL(cluster.gatewayUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/kv/chunked',
          method: 'PUT',
          headers: { authorization: auth() },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (error) =>
        (error as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(error),
      );
      const chunk = Buffer.alloc(16 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent <= MAX_VALUE_BYTES + chunk.length) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect((await cluster.get('chunked')).status).toBe(404); // nothing half-written
  });

  it('answers malformed HTTP with a JSON 400 and keeps serving', async () => {
    const response = await rawRequest('GET /v1/kv/k HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400/);
    expect(response).toContain('HEADER_INVALID');
  });

  it('is still serving after all of the above', async () => {
    expect((await fetch(`${cluster.gatewayUrl}/healthz`)).status).toBe(200);
    expect((await cluster.put('after-bad-input', 'ok')).status).toBe(201);
    expect(await (await cluster.get('after-bad-input')).text()).toBe('ok');
    expect(cluster.gateway.running()).toBe(true);
  });
});

describe('security headers and request ids', () => {
  const apiHeaders = {
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };

  it('answers /v1/kv successes and errors with the API security headers', async () => {
    const responses = [
      await cluster.put('headers', '<svg onload="alert(1)"/>', { 'content-type': 'image/svg+xml' }),
      await cluster.get('headers'),
      await cluster.request('/v1/kv/headers', { method: 'DELETE' }),
      await cluster.get('headers'), // 404
      await fetch(`${cluster.gatewayUrl}/v1/kv/headers`), // 401
      await cluster.request('/v1/kv/', { method: 'PUT', body: 'x' }), // 400
    ];
    expect(responses.map((r) => r.status)).toEqual([201, 200, 204, 404, 401, 400]);
    for (const res of responses) expect(Object.fromEntries(res.headers)).toMatchObject(apiHeaders);
    // the other routes keep helmet's set
    const health = await fetch(`${cluster.gatewayUrl}/healthz`);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it("echoes the caller's request id, and makes one for an error", async () => {
    const mine = await cluster.get('counter', { 'x-request-id': 'trace-123' });
    expect(mine.headers.get('x-request-id')).toBe('trace-123');
    const mineError = await fetch(`${cluster.gatewayUrl}/v1/kv/x`, {
      headers: { 'x-request-id': 'trace-456' },
    });
    expect(mineError.headers.get('x-request-id')).toBe('trace-456');
    expect(((await mineError.json()) as { requestId: string }).requestId).toBe('trace-456');
    const made = await fetch(`${cluster.gatewayUrl}/v1/kv/x`);
    const id = made.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await made.json()) as { requestId: string }).requestId).toBe(id);
  });
});

describe('operations endpoints', () => {
  it('serves health, readiness, metrics and the admin status', async () => {
    expect((await fetch(`${cluster.gatewayUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${cluster.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      epoch: 1,
      usableDataNodes: 3,
      writeQuorum: 2,
    });
    const status = await cluster.adminStatus();
    expect(status.breakers).toMatchObject({ d1: 'closed', d2: 'closed', d3: 'closed' });
    expect(
      await cluster.metric('redoubt_http_request_duration_seconds_count', {
        route: '/v1/kv/:key',
        method: 'PUT',
        status_class: '2xx',
      }),
    ).toBeGreaterThan(0);
    expect(
      await cluster.metric('redoubt_http_request_duration_seconds_count', {
        route: '/v1/kv/:key',
        method: 'GET',
        status_class: '4xx',
      }),
    ).toBeGreaterThan(0);
    const metrics = await (await fetch(`${cluster.gatewayUrl}/metrics`)).text();
    for (const series of [
      'redoubt_breaker_state',
      'redoubt_breaker_events_total',
      'redoubt_handoffs_total',
      'redoubt_handoff_backlog',
      'redoubt_quorum_failures_total',
      'redoubt_read_repairs_total',
      'redoubt_placement_epoch',
    ]) {
      expect(metrics).toContain(`# TYPE ${series} `);
    }
    expect(await cluster.metric('redoubt_breaker_state', { downstream: 'd1' })).toBe(0);
    // labels stay bounded: unknown paths share one route label
    await fetch(`${cluster.gatewayUrl}/random/${Math.random()}`);
    const after = await (await fetch(`${cluster.gatewayUrl}/metrics`)).text();
    expect(after).not.toMatch(/route="\/random/);
    expect(after).toContain('route="unmatched"');
  });
});
