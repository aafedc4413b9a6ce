/**
 * A smoke test of the public API for k6: one VU writes a few keys, reads each back with its ETag, and
 * deletes it. Fails (non-zero exit) unless every check passes.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=... chaos/k6/smoke.ts
 */
import { check, fail } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import type { Options } from 'k6/options';

const BASE_URL = (__ENV.BASE_URL || __ENV.GATEWAY_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const API_KEY = __ENV.API_KEY || '';

export const options: Options = {
  vus: 1,
  iterations: 5,
  thresholds: {
    checks: ['rate==1'],
    'http_req_duration{op:put}': ['p(99)<2000'],
    'http_req_duration{op:get}': ['p(99)<2000'],
  },
};

const auth = { authorization: `Bearer ${API_KEY}` };

export default function smoke(): void {
  const key = `smoke/${Date.now()}-${exec.scenario.iterationInTest}`;
  const url = `${BASE_URL}/v1/kv/${encodeURIComponent(key)}`;
  const value = `smoke value ${key}`;

  const put = http.put(url, value, {
    headers: { ...auth, 'content-type': 'text/plain' },
    tags: { op: 'put' },
  });
  const written = check(put, {
    'PUT answers 201': (r) => r.status === 201,
    'PUT returns the version as ETag': (r) => typeof r.headers['Etag'] === 'string',
  });
  if (!written) fail(`PUT ${key} answered ${put.status}: ${String(put.body)}`);

  const get = http.get(url, { headers: auth, tags: { op: 'get' } });
  check(get, {
    'GET answers 200': (r) => r.status === 200,
    'GET returns the value': (r) => r.body === value,
    'GET ETag is the PUT version': (r) => r.headers['Etag'] === put.headers['Etag'],
  });

  const del = http.del(url, null, { headers: auth, tags: { op: 'delete' } });
  check(del, { 'DELETE answers 204': (r) => r.status === 204 });
  const gone = http.get(url, {
    headers: auth,
    tags: { op: 'get' },
    responseCallback: http.expectedStatuses(404),
  });
  check(gone, { 'deleted key answers 404': (r) => r.status === 404 });

  const unauthorised = http.get(url, { tags: { op: 'auth' }, responseCallback: http.expectedStatuses(401) });
  check(unauthorised, { 'no API key answers 401': (r) => r.status === 401 });
}
