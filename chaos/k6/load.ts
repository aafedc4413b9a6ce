/**
 * The chaos load for k6 (k6 >= 0.57 runs TypeScript as is): two open-model scenarios at a constant
 * arrival rate, PUTs of unique keys and values and GETs of keys written before, with thresholds scoped
 * by the `op` tag and a JSON summary (handleSummary). With LOG_OPS=1 every operation is logged as one
 * `chaos-op {...}` line: the chaos app reads them into its history and checks them after the run.
 *
 *   k6 run -e BASE_URLS=http://127.0.0.1:8080 -e API_KEY=... -e RATE=100 -e DURATION=60s chaos/k6/load.ts
 *
 * Environment: BASE_URLS (comma-separated gateways; or GATEWAY_URL), API_KEY, RATE (requests/s), DURATION, PUT_RATIO
 * (0.7), OVERWRITE_RATIO (0.1), VALUE_BYTES (64), MAX_VUS (128), TIMEOUT (3s), RUN_ID, SUMMARY_FILE, LOG_OPS.
 */
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import type { Options } from 'k6/options';

const BASE_URLS = (__ENV.BASE_URLS || __ENV.GATEWAY_URL || 'http://127.0.0.1:8080')
  .split(',')
  .map((u) => u.replace(/\/+$/, ''));
const API_KEY = __ENV.API_KEY || '';
const RATE = Number(__ENV.RATE || 50);
const DURATION = __ENV.DURATION || '60s';
const PUT_RATIO = Number(__ENV.PUT_RATIO || 0.7);
const OVERWRITE_RATIO = Number(__ENV.OVERWRITE_RATIO || 0.1);
const VALUE_BYTES = Number(__ENV.VALUE_BYTES || 64);
const MAX_VUS = Number(__ENV.MAX_VUS || 128);
const TIMEOUT = __ENV.TIMEOUT || '3s';
const RUN_ID = __ENV.RUN_ID || `k6-${Date.now()}`;
const LOG_OPS = __ENV.LOG_OPS === '1';
const PUT_RATE = Math.max(1, Math.round(RATE * PUT_RATIO));
const GET_RATE = Math.max(1, Math.round(RATE * (1 - PUT_RATIO)));

const quorumFailures = new Counter('redoubt_quorum_failures');

export const options: Options = {
  discardResponseBodies: false,
  scenarios: {
    writes: {
      executor: 'constant-arrival-rate',
      exec: 'put',
      rate: PUT_RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.max(1, Math.ceil(MAX_VUS * PUT_RATIO)),
      maxVUs: Math.max(1, Math.ceil(MAX_VUS * PUT_RATIO)),
      tags: { op: 'put' },
      gracefulStop: '10s',
    },
    reads: {
      executor: 'constant-arrival-rate',
      exec: 'get',
      rate: GET_RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.max(1, Math.ceil(MAX_VUS * (1 - PUT_RATIO))),
      maxVUs: Math.max(1, Math.ceil(MAX_VUS * (1 - PUT_RATIO))),
      tags: { op: 'get' },
      gracefulStop: '10s',
    },
  },
  // Objectives in steady state; under faults they may be crossed: the chaos app judges the run, not k6.
  thresholds: {
    'http_req_failed{op:put}': ['rate<0.05'],
    'http_req_failed{op:get}': ['rate<0.05'],
    'http_req_duration{op:put}': ['p(99)<1000'],
    'http_req_duration{op:get}': ['p(99)<500'],
    'checks{op:put}': ['rate>0.95'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

function gateway(): string {
  return BASE_URLS[exec.scenario.iterationInTest % BASE_URLS.length];
}

/** How many PUTs the writes scenario has started by now (its rate is constant). */
function putsSoFar(): number {
  return Math.max(1, Math.floor(((Date.now() - exec.scenario.startTime) / 1000) * PUT_RATE));
}

function valueFor(key: string): string {
  const head = `${RUN_ID}|vu${exec.vu.idInTest}|i${exec.scenario.iterationInTest}|${key}|`;
  let tail = '';
  while (head.length + tail.length < VALUE_BYTES) tail += Math.random().toString(36).slice(2);
  return head + tail.slice(0, Math.max(0, VALUE_BYTES - head.length));
}

function log(line: Record<string, unknown>): void {
  if (LOG_OPS) console.log(`chaos-op ${JSON.stringify(line)}`);
}

const params = (op: 'put' | 'get') => ({
  headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'text/plain; charset=utf-8' },
  timeout: TIMEOUT,
  tags: { op, name: `${op.toUpperCase()} /v1/kv/:key` },
});

export function put(): void {
  const overwrite = Math.random() < OVERWRITE_RATIO;
  const index = overwrite ? Math.floor(Math.random() * putsSoFar()) : exec.scenario.iterationInTest;
  const key = `chaos/${RUN_ID}/k${index}`;
  const value = valueFor(key);
  const base = gateway();
  const t0 = Date.now();
  const res = http.put(`${base}/v1/kv/${encodeURIComponent(key)}`, value, params('put'));
  const t1 = Date.now();
  const ok = check(
    res,
    { 'PUT acknowledged with an ETag': (r) => r.status === 201 && !!r.headers['Etag'] },
    { op: 'put' },
  );
  if (res.status === 503 && typeof res.body === 'string' && res.body.includes('QUORUM_NOT_REACHED'))
    quorumFailures.add(1);
  log({
    o: 'put',
    k: key,
    v: value,
    g: base,
    t0,
    t1,
    s: res.status,
    e: res.error_code,
    etag: res.headers['Etag'] ?? null,
    b: ok ? null : typeof res.body === 'string' ? res.body.slice(0, 2000) : null,
  });
}

export function get(): void {
  const key = `chaos/${RUN_ID}/k${Math.floor(Math.random() * putsSoFar())}`;
  const base = gateway();
  const t0 = Date.now();
  const res = http.get(`${base}/v1/kv/${encodeURIComponent(key)}`, params('get'));
  const t1 = Date.now();
  // 404 is an answer too: the key's PUT may not have happened (or been acknowledged) yet.
  check(res, { 'GET answered': (r) => r.status === 200 || r.status === 404 }, { op: 'get' });
  log({ o: 'get', k: key, g: base, t0, t1, s: res.status, e: res.error_code });
}

export function handleSummary(data: object): Record<string, string> {
  const file = __ENV.SUMMARY_FILE || 'k6-summary.json';
  return {
    [file]: JSON.stringify(data, null, 2),
    stdout: `k6 summary written to ${file}\n`,
  };
}
