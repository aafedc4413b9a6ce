import { describe, expect, it } from 'vitest';
import { k6WriteOutcome, parseK6Line } from './k6-load-runner.js';
import { classifyWriteError, classifyWriteResponse } from './write-outcome.js';

const quorum = (details: Record<string, unknown>) =>
  JSON.stringify({
    error: { code: 'QUORUM_NOT_REACHED', message: 'm', details: { operation: 'write', ...details } },
  });

describe('write outcomes', () => {
  it('acknowledged: 2xx with the version as ETag', () => {
    expect(classifyWriteResponse(201, '{}', '"01a1fd5f3ce5.0000.gw1"')).toEqual({
      status: 'ok',
      version: '01a1fd5f3ce5.0000.gw1',
      httpStatus: 201,
    });
  });

  it('failed: 503 QUORUM_NOT_REACHED with confirmed < W and no replica in doubt', () => {
    expect(classifyWriteResponse(503, quorum({ confirmed: 1, required: 2, unknown: 0 }), null)).toMatchObject(
      {
        status: 'failed',
        quorum: { confirmed: 1, required: 2, unknown: 0 },
      },
    );
  });

  it('unknown: 503 QUORUM_NOT_REACHED with a replica that timed out, or without details', () => {
    expect(classifyWriteResponse(503, quorum({ confirmed: 1, required: 2, unknown: 1 }), null).status).toBe(
      'unknown',
    );
    expect(
      classifyWriteResponse(503, JSON.stringify({ error: { code: 'QUORUM_NOT_REACHED' } }), null).status,
    ).toBe('unknown');
  });

  it('failed: client errors and refusals before writing; unknown: other server errors', () => {
    expect(
      classifyWriteResponse(401, JSON.stringify({ error: { code: 'AUTH_MISSING' } }), null),
    ).toMatchObject({
      status: 'failed',
      error: 'AUTH_MISSING',
    });
    expect(
      classifyWriteResponse(503, JSON.stringify({ error: { code: 'PLACEMENT_UNAVAILABLE' } }), null).status,
    ).toBe('failed');
    expect(classifyWriteResponse(500, 'oops', null)).toMatchObject({ status: 'unknown', error: 'HTTP_500' });
  });

  it('transport errors: refused connections failed, timeouts and resets unknown', () => {
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    expect(classifyWriteError(refused)).toEqual({ status: 'failed', error: 'ECONNREFUSED' });
    expect(classifyWriteError(Object.assign(new Error('x'), { cause: refused })).status).toBe('failed');
    expect(classifyWriteError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).status).toBe(
      'unknown',
    );
    expect(classifyWriteError(new DOMException('timed out', 'TimeoutError'))).toEqual({
      status: 'unknown',
      error: 'TIMEOUT',
    });
  });

  it('k6 lines: parsed from JSON logs or raw text, and classified by k6 error code', () => {
    const op = { o: 'put', k: 'a', v: 'va', g: 'http://gw', t0: 1, t1: 2, s: 0, e: 1212 };
    const json = JSON.stringify({ level: 'info', msg: `chaos-op ${JSON.stringify(op)}`, source: 'console' });
    expect(parseK6Line(json)).toEqual(op);
    expect(parseK6Line(`INFO[0001] chaos-op ${JSON.stringify(op)}`)).toEqual(op);
    expect(parseK6Line('running (0m01.0s), 10/10 VUs')).toBeUndefined();
    expect(k6WriteOutcome({ ...op, o: 'put' })).toMatchObject({ status: 'failed' }); // dial: connection refused
    expect(k6WriteOutcome({ ...op, o: 'put', e: 1050 })).toMatchObject({ status: 'unknown' }); // request timeout
    expect(k6WriteOutcome({ ...op, o: 'put', s: 201, e: 0, etag: '"01a1fd5f3ce5.0000.gw1"' })).toMatchObject({
      status: 'ok',
    });
  });
});
