import { RedoubtError } from '@redoubt/errors';
import { MAX_KEY_BYTES, validateKey } from '@redoubt/records';

/**
 * The key from the part of the URL after `/v1/kv/` (express strips the mount path, so `req.url` starts
 * there). Everything up to the query string is the key, percent-decoded once: `a%2Fb` is the key `a/b`
 * (and so is `a/b`; encode a slash to be unambiguous). Throws KEY_EMPTY, KEY_TOO_LONG or KEY_INVALID (also
 * for a control character, below).
 */
export function keyFromUrl(url: string): string {
  const query = url.indexOf('?');
  const raw = query < 0 ? url.slice(1) : url.slice(1, query);
  if (raw.length === 0) throw new RedoubtError('KEY_EMPTY', 'the key is empty: use /v1/kv/<url-encoded key>');
  // an encoded key is at most 3 characters per byte: refuse absurd URLs before decoding them
  if (raw.length > MAX_KEY_BYTES * 3) {
    throw new RedoubtError('KEY_TOO_LONG', `the key is longer than ${MAX_KEY_BYTES} bytes`, {
      limit: MAX_KEY_BYTES,
    });
  }
  let key = raw;
  if (raw.includes('%')) {
    try {
      key = decodeURIComponent(raw);
    } catch {
      throw new RedoubtError('KEY_INVALID', 'the key is not valid percent-encoded UTF-8');
    }
  }
  validateKey(key);
  refuseControlCharacters(key);
  return key;
}

/**
 * C0 controls (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F) are refused in keys: none has
 * a use in a name, they are invisible in listings, and they can forge log lines (CR, LF) or drive a terminal
 * that shows them (ESC, and CSI U+009B among the C1 ones) — so C1 is refused with the rest.
 */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

function refuseControlCharacters(key: string): void {
  const match = CONTROL_CHARACTER.exec(key);
  if (!match) return;
  const code = match[0].charCodeAt(0);
  const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  throw new RedoubtError(
    'KEY_INVALID',
    `the key contains the control character ${name} at position ${match.index}; control characters ` +
      '(U+0000–U+001F, U+007F, U+0080–U+009F) are not allowed in keys',
    { character: name, position: match.index },
  );
}

const CONTENT_TYPE_RE = /^[\x20-\x7e]{1,255}$/;
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The content type stored with a value: printable ASCII, at most 255 characters (HEADER_INVALID otherwise). */
export function contentTypeOf(header: string | undefined): string {
  if (header === undefined || header === '') return DEFAULT_CONTENT_TYPE;
  if (!CONTENT_TYPE_RE.test(header)) {
    throw new RedoubtError(
      'HEADER_INVALID',
      'content-type must be printable ASCII of at most 255 characters',
    );
  }
  return header;
}
