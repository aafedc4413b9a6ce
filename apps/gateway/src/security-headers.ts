/**
 * The security headers of the public data path, precomputed as a flat [name, value, ...] list and written
 * with the response's single writeHead. They are OWASP's set for REST APIs rather than helmet's set for HTML
 * pages (the other routes keep helmet's, from http-kit): every header here is something a browser or an
 * intermediary acts on for an API response, and every header costs both ends on every request.
 * - no caching of values by shared caches (they belong to API key holders);
 * - a stored value of any content type can never run as a page of this origin, nor be framed;
 * - no MIME sniffing; HTTPS only once a client has seen it over TLS (ignored over plain HTTP).
 */
export const API_SECURITY_HEADERS: readonly string[] = Object.freeze([
  'cache-control',
  'no-store',
  'content-security-policy',
  "default-src 'none'; frame-ancestors 'none'; sandbox",
  'strict-transport-security',
  'max-age=31536000; includeSubDomains',
  'x-content-type-options',
  'nosniff',
  'x-frame-options',
  'DENY',
]);
