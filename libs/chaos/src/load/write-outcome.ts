import type { QuorumDetails, WriteOutcome } from '../history/write-history.js';

/** Transport errors raised before the request left this process: the write cannot have been applied. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Gateway codes that refuse a write before any replica sees it. */
const REFUSED_BEFORE_WRITING = new Set([
  'PLACEMENT_UNAVAILABLE',
  'DOWNSTREAM_SATURATED',
  'AUTH_MISSING',
  'AUTH_INVALID',
]);

interface ErrorBody {
  error?: { code?: string; details?: Record<string, unknown> };
}

function quorumOf(details: Record<string, unknown> | undefined): QuorumDetails | undefined {
  const confirmed = details?.confirmed;
  const required = details?.required;
  const unknown = details?.unknown;
  if (typeof confirmed !== 'number' || typeof required !== 'number') return undefined;
  return { confirmed, required, unknown: typeof unknown === 'number' ? unknown : Number.NaN };
}

/**
 * The fate of a PUT from the gateway's answer. 2xx with an ETag: acknowledged. 503 QUORUM_NOT_REACHED is
 * `failed` only when its details say fewer than W confirmed and none is in doubt (`unknown: 0`); otherwise
 * some replica may have applied it: `unknown`. 4xx and refusals before writing: `failed`. Anything else: `unknown`.
 */
export function classifyWriteResponse(status: number, body: string, etag: string | null): WriteOutcome {
  if (status >= 200 && status < 300) {
    const version = etag?.replace(/^W\//, '').replace(/^"|"$/g, '');
    return version
      ? { status: 'ok', version, httpStatus: status }
      : { status: 'unknown', httpStatus: status, error: 'NO_ETAG' };
  }
  let parsed: ErrorBody = {};
  try {
    parsed = JSON.parse(body) as ErrorBody;
  } catch {
    // not JSON: a proxy's page, a truncated body
  }
  const code = parsed.error?.code;
  if (code === 'QUORUM_NOT_REACHED') {
    const quorum = quorumOf(parsed.error?.details);
    const definite = quorum !== undefined && quorum.unknown === 0 && quorum.confirmed < quorum.required;
    return { status: definite ? 'failed' : 'unknown', httpStatus: status, error: code, quorum };
  }
  if (status >= 400 && status < 500)
    return { status: 'failed', httpStatus: status, error: code ?? `HTTP_${status}` };
  if (code && REFUSED_BEFORE_WRITING.has(code)) return { status: 'failed', httpStatus: status, error: code };
  return { status: 'unknown', httpStatus: status, error: code ?? `HTTP_${status}` };
}

/** The fate of a PUT that got no answer: refused connections are `failed`; timeouts and resets `unknown`. */
export function classifyWriteError(error: unknown): WriteOutcome {
  const code = errorCode(error);
  return { status: NOT_SENT.has(code) ? 'failed' : 'unknown', error: code };
}

/** The most specific code of an error (undici wraps the socket error in `cause`). */
export function errorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const e = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && e.code !== 'UND_ERR' && e.code !== 'ABORT_ERR') return e.code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'TIMEOUT';
    current = e.cause;
  }
  return 'UNKNOWN_ERROR';
}
