import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@redoubt/local-stack';
import { openApiDocument } from './openapi-document.js';
import { eventually, TestCluster } from './testing/test-cluster.js';

/**
 * Keeps /v1/openapi.json true: every documented status of every documented operation is produced by a
 * live gateway for a case built here, and nothing the gateway answers is undocumented.
 */
let cluster: TestCluster;
/** A second gateway whose data nodes do not exist: it produces the 503s. */
let deadUrl: string;

beforeAll(async () => {
  cluster = await TestCluster.start({ gatewayEnv: { MAX_VALUE_BYTES: '1024' } });
  const ports = [await freePort(), await freePort(), await freePort()];
  const dead = await cluster.startGateway('gwdead', {
    DATA_NODES: ports.map((p, i) => `d${i + 1}=http://127.0.0.1:${p}`).join(','),
    BREAKER_RESET_MS: '600000', // stays open once open: readiness stays 503
  });
  deadUrl = dead.options.readyUrl!.replace('/readyz', '');
  await cluster.put('present', 'here');
});

afterAll(async () => {
  await cluster?.stop();
});

type Case = () => Promise<Response>;
const HTTP_METHODS = ['get', 'head', 'put', 'delete', 'post', 'patch', 'options'] as const;

const client = (base: string, path: string, init: RequestInit = {}, key?: string) =>
  fetch(base + path, {
    ...init,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(init.headers as Record<string, string>),
    },
    signal: AbortSignal.timeout(20_000),
  });

function cases(): Record<string, Case> {
  const api = (path: string, init: RequestInit = {}) =>
    client(cluster.gatewayUrl, path, init, cluster.apiKey);
  const noKey = (path: string, init: RequestInit = {}) => client(cluster.gatewayUrl, path, init);
  const badKey = (path: string, init: RequestInit = {}) =>
    client(cluster.gatewayUrl, path, init, 'not-the-key-0000');
  const dead = (path: string, init: RequestInit = {}) => client(deadUrl, path, init, cluster.apiKey);
  const kv = '/v1/kv/present';
  const byMethod = (method: string) => {
    const body = method === 'PUT' ? 'x' : undefined;
    return {
      '400': () => api('/v1/kv/', { method, body }),
      '401': () => noKey(kv, { method, body }),
      '403': () => badKey(kv, { method, body }),
      '503': () => dead(kv, { method, body }),
    };
  };
  const table: Record<string, Record<string, Case>> = {
    'put /v1/kv/{key}': {
      ...byMethod('PUT'),
      '201': () => api('/v1/kv/openapi-put', { method: 'PUT', body: 'v' }),
      '413': () => api('/v1/kv/openapi-big', { method: 'PUT', body: 'x'.repeat(1025) }),
      '412': () => api(kv, { method: 'PUT', body: 'x', headers: { 'if-none-match': '*' } }),
    },
    'get /v1/kv/{key}': {
      ...byMethod('GET'),
      '200': () => api(kv),
      '404': () => api('/v1/kv/absent'),
    },
    'head /v1/kv/{key}': {
      ...byMethod('HEAD'),
      '200': () => api(kv, { method: 'HEAD' }),
      '404': () => api('/v1/kv/absent', { method: 'HEAD' }),
    },
    'delete /v1/kv/{key}': {
      ...byMethod('DELETE'),
      '204': () => api('/v1/kv/openapi-deleted', { method: 'DELETE' }),
      '412': () => api(kv, { method: 'DELETE', headers: { 'if-match': '"000000000001.0000.gw1"' } }),
    },
    'get /v1/openapi.json': { '200': () => noKey('/v1/openapi.json') },
    'get /healthz': { '200': () => noKey('/healthz') },
    'get /readyz': {
      '200': () => noKey('/readyz'),
      '503': async () => {
        // the dead gateway's breakers open after a few failed calls; then it is not ready
        await eventually('the dead gateway becomes unready', async () => {
          await dead('/v1/kv/x', { method: 'PUT', body: 'x' });
          return (await client(deadUrl, '/readyz')).status === 503;
        });
        return client(deadUrl, '/readyz');
      },
    },
    'get /metrics': { '200': () => noKey('/metrics') },
    'get /admin/status': {
      '200': () => client(cluster.gatewayUrl, '/admin/status', {}, cluster.adminKey),
      '401': () => noKey('/admin/status'),
      '403': () => api('/admin/status'),
    },
  };
  const flat: Record<string, Case> = {};
  for (const [operation, statuses] of Object.entries(table)) {
    for (const [status, run] of Object.entries(statuses)) flat[`${operation} ${status}`] = run;
  }
  return flat;
}

function documented(): string[] {
  const triples: string[] = [];
  for (const [path, item] of Object.entries(openApiDocument.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = (item as Record<string, { responses?: Record<string, unknown> }>)[method];
      if (!operation?.responses) continue;
      for (const status of Object.keys(operation.responses)) triples.push(`${method} ${path} ${status}`);
    }
  }
  return triples.sort();
}

describe('the OpenAPI document', () => {
  it('is served at /v1/openapi.json as OpenAPI 3.1', async () => {
    const res = await fetch(`${cluster.gatewayUrl}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const served = (await res.json()) as { openapi: string };
    expect(served.openapi).toBe('3.1.0');
    expect(served).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });

  it('has a case here for exactly the documented statuses', () => {
    expect(Object.keys(cases()).sort()).toEqual(documented());
  });

  it.each(documented())('%s is what the gateway answers', async (triple) => {
    const status = Number(triple.split(' ').pop());
    const res = await cases()[triple]!();
    expect(res.status).toBe(status);
    if (status >= 400 && !triple.startsWith('head') && !triple.includes('/readyz')) {
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toMatch(/^[A-Z_]+$/);
    } else {
      await res.body?.cancel();
    }
  });

  it('documents every route the gateway answers (anything else is 404 ROUTE_NOT_FOUND or 405)', async () => {
    const paths = Object.keys(openApiDocument.paths);
    const concrete = (p: string) => p.replace('{key}', 'present');
    const probes = [
      ...paths.map(concrete),
      '/',
      '/v1',
      '/v1/',
      '/v1/kv2/x',
      '/v2/kv/x',
      '/admin',
      '/admin/breakers',
      '/internal/records',
      '/openapi.json',
      '/healthz/x',
      '/metrics/x',
    ];
    const surprises: string[] = [];
    for (const path of probes) {
      const spec = paths.find((p) => concrete(p) === path);
      const item = spec
        ? (openApiDocument.paths as Record<string, Record<string, unknown>>)[spec]
        : undefined;
      for (const method of HTTP_METHODS) {
        const res = await client(cluster.gatewayUrl, path, { method: method.toUpperCase() }, cluster.apiKey);
        const text = method === 'head' ? '' : await res.text();
        const isDocumented = !!item && (method in item || (method === 'head' && 'get' in item));
        if (isDocumented) continue;
        const expected = item ? 405 : 404;
        const code = item ? 'METHOD_NOT_ALLOWED' : 'ROUTE_NOT_FOUND';
        if (res.status !== expected || (method !== 'head' && !text.includes(code))) {
          surprises.push(`${method.toUpperCase()} ${path} -> ${res.status} ${text.slice(0, 80)}`);
        }
      }
    }
    expect(surprises).toEqual([]);
  });
});
