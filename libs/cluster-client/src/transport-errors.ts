import { errorCatalogue, RedoubtError, type ErrorCode } from '@redoubt/errors';

/** Undici / socket error codes that mean the node did not answer in time (outcome unknown). */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export function isCatalogueCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorCatalogue, code);
}

/** A catalogue error from a wire `{ code, message }`; unknown codes become INTERNAL. */
export function fromWireError(
  error: { code?: unknown; message?: unknown } | undefined,
  node: string,
): RedoubtError {
  const message = typeof error?.message === 'string' ? `${node}: ${error.message}` : undefined;
  if (isCatalogueCode(error?.code)) return new RedoubtError(error.code, message, { node });
  return new RedoubtError('INTERNAL', message ?? `${node}: unknown error ${String(error?.code)}`, { node });
}

/**
 * Maps whatever a request threw to the catalogue: our own timeouts and caller aborts to REPLICA_TIMEOUT
 * (a write's outcome is then unknown), refused/reset/closed connections and every other transport
 * failure to REPLICA_UNAVAILABLE. RedoubtErrors pass through.
 */
export function fromTransportError(error: unknown, node: string, timedOut: boolean): RedoubtError {
  if (error instanceof RedoubtError) return error;
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (timedOut || TIMEOUT_CODES.has(code ?? '') || e?.name === 'TimeoutError') {
    return new RedoubtError('REPLICA_TIMEOUT', `${node} did not answer in time`, { node }, { cause: error });
  }
  if (e?.name === 'AbortError' || code === 'UND_ERR_ABORTED') {
    return new RedoubtError(
      'REPLICA_TIMEOUT',
      `the request to ${node} was aborted; its outcome is unknown`,
      { node },
      { cause: error },
    );
  }
  return new RedoubtError(
    'REPLICA_UNAVAILABLE',
    `${node} is unreachable: ${code ?? e?.message ?? String(error)}`,
    { node, cause: code ?? null },
    { cause: error },
  );
}

/** The error of a non-2xx answer: the service's JSON error body when there is one, else by status. */
export function fromHttpStatus(
  status: number,
  body: Buffer,
  contentType: string | undefined,
  node: string,
): RedoubtError {
  if (contentType?.includes('json')) {
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
      if (parsed.error) return fromWireError(parsed.error, node);
    } catch {
      // fall through to the status
    }
  }
  const byStatus: Record<number, ErrorCode> = {
    401: 'AUTH_MISSING',
    403: 'AUTH_INVALID',
    404: 'ROUTE_NOT_FOUND',
    413: 'VALUE_TOO_LARGE',
    503: 'REPLICA_UNAVAILABLE',
    504: 'REPLICA_TIMEOUT',
  };
  return new RedoubtError(
    byStatus[status] ?? (status >= 500 ? 'REPLICA_UNAVAILABLE' : 'INTERNAL'),
    `${node} answered HTTP ${status}`,
    {
      node,
      status,
    },
  );
}
