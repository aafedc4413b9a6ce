import express, { type Request, type RequestHandler, type Response } from 'express';
import { RedoubtError } from '@redoubt/errors';
import {
  parseConsistency,
  requirementsFor,
  type ConsistencyLevel,
  type QuorumCoordinator,
  type QuorumPolicy,
  type ReadOutcome,
  type WriteOutcome,
} from '@redoubt/quorum';
import { makeRecord, makeTombstone, type HybridClock } from '@redoubt/records';
import type { GatewayMetrics } from './gateway-metrics.js';
import { contentTypeOf, keyFromUrl } from './kv-request.js';
import type { ReplicaRouter } from './replica-router.js';

export const CONSISTENCY_HEADER = 'x-redoubt-consistency';
const ALLOWED = 'GET, HEAD, PUT, DELETE';
const EMPTY = Buffer.alloc(0);

export interface KvHandlerDeps {
  router: ReplicaRouter;
  coordinator: QuorumCoordinator;
  clock: HybridClock;
  policy: QuorumPolicy;
  maxValueBytes: number;
  metrics: GatewayMetrics;
  /** Written with every successful response (the captured security headers). */
  responseHeaders: readonly string[];
}

/**
 * `/v1/kv/<key>`: PUT, GET, HEAD, DELETE (mounted after the API key check). Lean on purpose: the body
 * is read raw only for PUT, responses are written with writeHead and no per-request logging.
 */
export function kvHandler(deps: KvHandlerDeps): RequestHandler {
  const { router, coordinator, clock, policy, metrics, responseHeaders } = deps;
  /** One writeHead per response: its own headers, then the precomputed ones. */
  // (nothing may be set with setHeader before: Node then merges header by header, the slow path)
  const respond = (res: Response, status: number, headers: string[]) => {
    for (const h of responseHeaders) headers.push(h);
    if (res.req.id) headers.push('x-request-id', res.req.id);
    res.writeHead(status, headers);
  };
  // inflate: false: values are opaque bytes; a content-encoded body is refused rather than silently decoded
  const readBody = express.raw({ type: () => true, limit: deps.maxValueBytes, inflate: false });

  const put = async (
    req: Request,
    res: Response,
    key: string,
    level: ConsistencyLevel,
    contentType: string,
  ) => {
    const value = Buffer.isBuffer(req.body) ? req.body : EMPTY;
    const set = router.route(key);
    const { w } = requirementsFor(level, policy, set.replicas.length);
    const record = makeRecord({ key, value, contentType, version: clock.now(), tombstone: false });
    const outcome = await coordinator.write(set, record, w);
    if (!outcome.ok) throw quorumFailure('write', outcome, metrics);
    const body = JSON.stringify({ key, version: record.version, confirmed: outcome.confirmed });
    respond(res, 201, [
      'etag',
      `"${record.version}"`,
      'content-type',
      'application/json; charset=utf-8',
      'content-length',
      String(Buffer.byteLength(body)),
    ]);
    res.end(body);
  };

  const remove = async (res: Response, key: string, level: ConsistencyLevel) => {
    const set = router.route(key);
    const { w } = requirementsFor(level, policy, set.replicas.length);
    const tombstone = makeTombstone(key, clock.now());
    const outcome = await coordinator.write(set, tombstone, w);
    if (!outcome.ok) throw quorumFailure('write', outcome, metrics);
    respond(res, 204, ['etag', `"${tombstone.version}"`]);
    res.end();
  };

  const get = async (res: Response, key: string, level: ConsistencyLevel, head: boolean) => {
    const set = router.route(key);
    const { r } = requirementsFor(level, policy, set.replicas.length);
    const outcome = await coordinator.read(set, key, r);
    if (!outcome.ok) throw quorumFailure('read', outcome, metrics);
    const record = outcome.record;
    if (record) observe(clock, record.version);
    if (!record || record.tombstone) {
      throw new RedoubtError('RECORD_NOT_FOUND', 'no value is stored under this key', {
        deletedVersion: record?.version ?? null,
      });
    }
    respond(res, 200, [
      'content-type',
      record.contentType,
      'content-length',
      String(record.value.byteLength),
      'etag',
      `"${record.version}"`,
    ]);
    if (head) res.end();
    else res.end(record.value);
  };

  return (req, res, next) => {
    const method = req.method;
    try {
      if (method !== 'GET' && method !== 'PUT' && method !== 'HEAD' && method !== 'DELETE') {
        res.setHeader('allow', ALLOWED);
        throw new RedoubtError('METHOD_NOT_ALLOWED', `${method} is not allowed on /v1/kv; use ${ALLOWED}`, {
          allowed: ALLOWED.split(', '),
        });
      }
      const key = keyFromUrl(req.url);
      const level = parseConsistency(req.headers[CONSISTENCY_HEADER]);
      if (method === 'PUT') {
        const contentType = contentTypeOf(req.headers['content-type']);
        readBody(req, res, (error?: unknown) => {
          if (error) next(error);
          else put(req, res, key, level, contentType).catch(next);
        });
      } else if (method === 'DELETE') {
        remove(res, key, level).catch(next);
      } else {
        get(res, key, level, method === 'HEAD').catch(next);
      }
    } catch (error) {
      next(error);
    }
  };
}

function quorumFailure(
  operation: 'write' | 'read',
  outcome: WriteOutcome | ReadOutcome,
  metrics: GatewayMetrics,
): RedoubtError {
  metrics.quorumFailures.inc({ operation });
  const unknown = 'unknown' in outcome ? outcome.unknown : 0;
  const message =
    operation === 'write'
      ? `${outcome.confirmed} of the ${outcome.required} required replicas confirmed the write` +
        (unknown > 0
          ? `; ${unknown} did not answer in time, so the write may or may not have been applied (retrying is safe)`
          : '; it was not acknowledged (it may still reach the replicas that had it; retrying is safe)')
      : `${outcome.confirmed} of the ${outcome.required} required replicas answered the read`;
  return new RedoubtError('QUORUM_NOT_REACHED', message, {
    operation,
    confirmed: outcome.confirmed,
    required: outcome.required,
    unknown,
    failed: outcome.failed,
    replicas: outcome.replicas,
  });
}

/** Merges a version read into the clock so a later write by this gateway is newer; a wild version is ignored. */
function observe(clock: HybridClock, version: string): void {
  try {
    clock.observe(version);
  } catch {
    // more than the allowed drift ahead: a broken writer's clock must not drag ours along
  }
}
