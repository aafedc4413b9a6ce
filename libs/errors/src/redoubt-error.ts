import { errorCatalogue, type ErrorCode, type ErrorKind } from './error-catalogue.js';

/** Structured, JSON-safe context that helps a caller act on the error (limits, counts, names). */
export type ErrorDetails = Record<string, string | number | boolean | null | undefined | string[] | number[]>;

/** The one error type domain code throws. Transports map `code`/`kind` to their own vocabulary. */
export class RedoubtError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message?: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message ?? errorCatalogue[code].summary, options);
    this.name = 'RedoubtError';
    this.code = code;
    this.kind = errorCatalogue[code].kind;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isRedoubtError(error: unknown, code?: ErrorCode): error is RedoubtError {
  return error instanceof RedoubtError && (code === undefined || error.code === code);
}

/** Wraps anything thrown into a RedoubtError so transports handle one shape. */
export function toRedoubtError(error: unknown): RedoubtError {
  if (error instanceof RedoubtError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RedoubtError('INTERNAL', message, {}, { cause: error });
}
