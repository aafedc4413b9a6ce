import { RedoubtError } from '@redoubt/errors';

/** Socket-level failures: the endpoint does not answer (after the SDK's retries). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
const DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
]);

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  cause?: unknown;
}

function networkCode(error: SdkError | undefined, depth = 0): string | undefined {
  if (!error || depth > 4) return undefined;
  if (error.code && NETWORK_CODES.has(error.code)) return error.code;
  if (error.name === 'TimeoutError') return 'ETIMEDOUT';
  return networkCode(error.cause as SdkError | undefined, depth + 1);
}

/**
 * An S3 SDK failure as a typed error naming the object (or bucket) and target: unreachable endpoint,
 * refused credentials, missing bucket, missing object (details.missing), or another read / write failure.
 */
export function s3Failure(
  error: unknown,
  file: string,
  op: 'read' | 'write',
  target?: string,
  context: { bucket?: boolean } = {},
): RedoubtError {
  if (error instanceof RedoubtError) return error;
  const e = (error ?? {}) as SdkError;
  const name = e.name ?? e.Code ?? '';
  const status = e.$metadata?.httpStatusCode;
  const where = target ? `backup target ${target}: ` : '';
  const details = { file, ...(target ? { target } : {}), ...(status ? { status } : {}), s3: name };
  const attempts = e.$metadata?.attempts ? ` after ${e.$metadata.attempts} attempt(s)` : '';
  const net = networkCode(e);
  if (net) {
    return new RedoubtError(
      'BACKUP_TARGET_UNREACHABLE',
      `${where}the S3 endpoint for ${file} does not answer: ${net}${attempts}`,
      { ...details, errno: net },
      { cause: error },
    );
  }
  if (DENIED.has(name) || status === 403) {
    return new RedoubtError(
      'BACKUP_TARGET_DENIED',
      `${where}the S3 endpoint refused the credentials for ${file}: ${name || status} (check the access key and secret)`,
      details,
      { cause: error },
    );
  }
  if (name === 'NoSuchBucket' || (context.bucket && status === 404)) {
    return new RedoubtError(
      'BACKUP_TARGET_MISSING',
      `${where}the bucket of ${file} does not exist (create it, or fix the target's bucket name)`,
      details,
      { cause: error },
    );
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new RedoubtError('BACKUP_CORRUPT', `object ${file} is missing`, {
      ...details,
      missing: true,
      errno: 'ENOENT',
    });
  }
  const reason = `${name || 'error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? ''}`.trim();
  return new RedoubtError(
    op === 'write' ? 'BACKUP_TARGET_UNWRITABLE' : 'BACKUP_TARGET_UNREADABLE',
    `${where}cannot ${op} ${file}: ${reason}${attempts}`,
    details,
    { cause: error },
  );
}
