import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { RedoubtError } from '@redoubt/errors';
import {
  createBodyReader,
  createSecretChecker,
  fromBodyParserError,
  type AuthFailureReporter,
  httpStatusFor,
  writeErrorResponse,
} from '@redoubt/http-kit';
import {
  parseConsistency,
  requirementsFor,
  type ConsistencyLevel,
  type QuorumCoordinator,
  type QuorumPolicy,
  type ReadOutcome,
  type WriteOutcome,
  writeNewest,
} from '@redoubt/quorum';
import { makeRecord, makeTombstone, type HybridClock } from '@redoubt/records';
import type { Logger } from '@redoubt/telemetry';
import type { WriteCondition } from '@redoubt/consensus';
import { conditionOf, SERIAL } from './conditional-request.js';
import type { ConditionalWrites } from './conditional-writes.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { contentTypeOf, keyFromUrl } from './kv-request.js';
import type { ReplicaRouter } from './replica-router.js';

export const CONSISTENCY_HEADER = 'x-redoubt-consistency';
export const KV_PREFIX = '/v1/kv';
const ROUTE = '/v1/kv/:key';
const ALLOWED = 'GET, HEAD, PUT, DELETE';
const REQUEST_ID = /^[\w-]{1,128}$/;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

export interface KvHandlerDeps {
  apiKeys: readonly string[];
  router: ReplicaRouter;
  coordinator: QuorumCoordinator;
  /** If-Match / If-None-Match writes and serial reads: a Paxos round per request (conditional-writes.ts). */
  conditional: ConditionalWrites;
  clock: HybridClock;
  policy: QuorumPolicy;
  maxValueBytes: number;
  metrics: GatewayMetrics;
  logger: Logger;
  slowRequestMs: number;
  /** Written with every response (the precomputed security headers). */
  responseHeaders: readonly string[];
  /** Counts and logs refused API keys (http-kit's createAuthFailureReporter). */
  authFailures: AuthFailureReporter;
}

/** True for `/v1/kv`, `/v1/kv/...` and `/v1/kv?...`: the requests the public path answers. */
export function isKvPath(url: string): boolean {
  if (!url.startsWith(KV_PREFIX)) return false;
  const next = url.charCodeAt(KV_PREFIX.length);
  return Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f; /* ? */
}

/**
 * `/v1/kv/<key>`: PUT, GET, HEAD, DELETE, answered by a plain node:http handler in front of the express
 * app (main.ts, through http-kit's servePlainRoutesFirst). Measured here, express's per-request machinery (prototype swaps on req/res,
 * the router) cost about twice what a whole GET costs the gateway otherwise, so the public path does
 * without it and keeps only what it needs: the API key check (http-kit's constant-time checker), the key and
 * headers, express.raw for a PUT body, one writeHead with precomputed headers, the error catalogue's status
 * mapping and JSON error body, RED metrics, and logs only for errors and slow requests.
 */
export function createKvHandler(deps: KvHandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { router, coordinator, clock, policy, metrics, responseHeaders, logger } = deps;
  const apiKeyMatches = createSecretChecker(deps.apiKeys);
  const readBody = createBodyReader(deps.maxValueBytes);

  /** One writeHead per response: its own headers, then the precomputed ones. */
  const respond = (res: ServerResponse, requestId: string, status: number, headers: string[]) => {
    for (const h of responseHeaders) headers.push(h);
    if (requestId) headers.push('x-request-id', requestId);
    res.writeHead(status, headers);
  };

  const put = async (
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    key: string,
    level: ConsistencyLevel,
  ) => {
    const contentType = contentTypeOf(req.headers['content-type']);
    const value = await readBody(req, res);
    const set = router.route(key);
    const { w } = requirementsFor(level, policy, set.replicas.length);
    const { record, outcome } = await writeNewest(coordinator, clock, set, w, (version) =>
      makeRecord({ key, value, contentType, version, tombstone: false }),
    );
    if (!outcome.ok) throw quorumFailure('write', outcome, metrics);
    const body = JSON.stringify({ key, version: record.version, confirmed: outcome.confirmed });
    respond(res, id, 201, [
      'etag',
      `"${record.version}"`,
      'content-type',
      'application/json; charset=utf-8',
      'content-length',
      String(Buffer.byteLength(body)),
    ]);
    res.end(body);
  };

  const remove = async (res: ServerResponse, id: string, key: string, level: ConsistencyLevel) => {
    const set = router.route(key);
    const { w } = requirementsFor(level, policy, set.replicas.length);
    const { record: tombstone, outcome } = await writeNewest(coordinator, clock, set, w, (version) =>
      makeTombstone(key, version),
    );
    if (!outcome.ok) throw quorumFailure('write', outcome, metrics);
    respond(res, id, 204, ['etag', `"${tombstone.version}"`]);
    res.end();
  };

  /** PUT or DELETE with If-Match / If-None-Match: linearizable per key (docs/decisions, conditional writes). */
  const conditionalWrite = async (
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    key: string,
    condition: WriteCondition,
  ) => {
    const isPut = req.method === 'PUT';
    const change = isPut
      ? {
          kind: 'put' as const,
          contentType: contentTypeOf(req.headers['content-type']),
          value: await readBody(req, res),
        }
      : { kind: 'delete' as const };
    const written = await counted(metrics, 'write', deps.conditional.write(key, condition, change));
    const { record, messages } = written;
    const roundTrips = String(messages.prepare + messages.accept + messages.commit);
    if (!isPut) {
      respond(res, id, 204, ['etag', `"${record.version}"`, 'x-redoubt-round-trips', roundTrips]);
      res.end();
      return;
    }
    const body = JSON.stringify({
      key,
      version: record.version,
      confirmed: written.confirmed,
      conditional: true,
      roundTrips: Number(roundTrips),
    });
    respond(res, id, 201, [
      'etag',
      `"${record.version}"`,
      'x-redoubt-round-trips',
      roundTrips,
      'content-type',
      'application/json; charset=utf-8',
      'content-length',
      String(Buffer.byteLength(body)),
    ]);
    res.end(body);
  };

  const get = async (
    res: ServerResponse,
    id: string,
    key: string,
    level: ConsistencyLevel | typeof SERIAL,
    head: boolean,
  ) => {
    let record;
    if (level === SERIAL) {
      record = (await counted(metrics, 'read', deps.conditional.read(key))).record;
    } else {
      const set = router.route(key);
      const { r } = requirementsFor(level, policy, set.replicas.length);
      const outcome = await coordinator.read(set, key, r);
      if (!outcome.ok) throw quorumFailure('read', outcome, metrics);
      record = outcome.record;
    }
    if (record) observe(clock, record.version);
    if (!record || record.tombstone) {
      throw new RedoubtError('RECORD_NOT_FOUND', 'no value is stored under this key', {
        deletedVersion: record?.version ?? null,
      });
    }
    respond(res, id, 200, [
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

  const fail = (req: IncomingMessage, res: ServerResponse, id: string, raw: unknown) => {
    const error = fromBodyParserError(raw);
    const status = httpStatusFor(error);
    const requestId = id || randomUUID();
    if (status >= 500) logger.error({ err: raw, requestId, path: req.url }, error.message);
    else deps.authFailures(error, { requestId, path: ROUTE, remote: req.socket.remoteAddress });
    const headers = [...responseHeaders, 'x-request-id', requestId];
    if (error.code === 'METHOD_NOT_ALLOWED') headers.push('allow', ALLOWED);
    const currentEtag = error.code === 'PRECONDITION_FAILED' ? error.details.currentEtag : undefined;
    if (typeof currentEtag === 'string') headers.push('etag', currentEtag);
    writeErrorResponse(res, error, requestId, headers);
  };

  return (req, res) => {
    const started = performance.now();
    const method = req.method ?? '';
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : '';
    res.once('finish', () =>
      metrics.observe(ROUTE, method, res.statusCode, started, id, logger, deps.slowRequestMs),
    );
    let work: Promise<void>;
    try {
      const key = authorizedKey(req, method);
      const write = method === 'PUT' || method === 'DELETE';
      const condition = write ? conditionOf(method, req.headers) : null;
      const serial = req.headers[CONSISTENCY_HEADER] === SERIAL;
      if (serial && write && !condition) {
        throw new RedoubtError(
          'CONSISTENCY_INVALID',
          `x-redoubt-consistency: ${SERIAL} is for GET, HEAD and conditional writes (send If-Match or If-None-Match)`,
          { allowed: ['one', 'quorum', 'all'] },
        );
      }
      const level = condition || serial ? SERIAL : parseConsistency(req.headers[CONSISTENCY_HEADER]);
      if (condition) work = conditionalWrite(req, res, id, key, condition);
      else if (level === SERIAL) work = get(res, id, key, SERIAL, method === 'HEAD');
      else if (method === 'PUT') work = put(req, res, id, key, level);
      else if (method === 'DELETE') work = remove(res, id, key, level);
      else work = get(res, id, key, level, method === 'HEAD');
    } catch (error) {
      fail(req, res, id, error);
      return;
    }
    work.catch((error: unknown) => fail(req, res, id, error));
  };

  /** Credentials first (nothing about the request is revealed without them), then method, then the key. */
  function authorizedKey(req: IncomingMessage, method: string): string {
    const authorization = req.headers.authorization;
    if (!authorization) {
      throw new RedoubtError('AUTH_MISSING', 'an API key is required: Authorization: Bearer <key>');
    }
    const bearer = BEARER.exec(authorization);
    if (!bearer)
      throw new RedoubtError('AUTH_INVALID', 'the Authorization header must be "Bearer <api key>"');
    if (!apiKeyMatches(bearer[1]!)) throw new RedoubtError('AUTH_INVALID', 'the API key is not valid');
    if (method !== 'GET' && method !== 'PUT' && method !== 'HEAD' && method !== 'DELETE') {
      throw new RedoubtError('METHOD_NOT_ALLOWED', `${method} is not allowed on /v1/kv; use ${ALLOWED}`, {
        allowed: ALLOWED.split(', '),
      });
    }
    return keyFromUrl(req.url!.slice(KV_PREFIX.length) || '/');
  }
}

/** Counts a Paxos round's outcome by operation. */
async function counted<T>(
  metrics: GatewayMetrics,
  operation: 'write' | 'read',
  round: Promise<T>,
): Promise<T> {
  try {
    const result = await round;
    metrics.conditional.inc({ operation, outcome: operation === 'write' ? 'applied' : 'read' });
    return result;
  } catch (error) {
    const e = error as RedoubtError;
    const outcome =
      e.code === 'PRECONDITION_FAILED'
        ? 'precondition-failed'
        : e.code === 'CONSENSUS_NOT_REACHED'
          ? String(e.details.outcome)
          : 'failed';
    metrics.conditional.inc({ operation, outcome });
    throw error;
  }
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
