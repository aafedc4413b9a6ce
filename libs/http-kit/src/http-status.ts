import type { ErrorCode, ErrorKind, RedoubtError } from '@redoubt/errors';

const byKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unavailable: 503,
  timeout: 504,
  corrupt: 500,
  internal: 500,
};

const byCode: Partial<Record<ErrorCode, number>> = {
  METHOD_NOT_ALLOWED: 405,
  BACKUP_KEY_INVALID: 400,
  FAULT_REFUSED: 409,
  NOT_LEADER: 409,
  // RFC 9110 §13.1: a failed If-Match / If-None-Match on a write is 412, not a generic conflict
  PRECONDITION_FAILED: 412,
};

/** The only place where the error catalogue meets HTTP. */
export function httpStatusFor(error: RedoubtError): number {
  return byCode[error.code] ?? byKind[error.kind];
}

/**
 * The JSON error body of every redoubt service. An INTERNAL error (a bug, or something no catalogue kind
 * describes) answers a generic message: its real one may carry paths, hosts or data, so it goes only to the
 * log, under the request id the answer carries (`requestId` and the x-request-id header).
 */
export function errorBody(error: RedoubtError, requestId?: string) {
  if (error.kind === 'internal') {
    const message = requestId
      ? `an internal error occurred; the service log has the details under request id ${requestId}`
      : 'an internal error occurred; the service log has the details';
    return { error: { code: error.code, message, details: {} }, requestId };
  }
  return { error: { code: error.code, message: error.message, details: error.details }, requestId };
}
