import { describe, expect, it } from 'vitest';
import { contentTypeOf, keyFromUrl } from './kv-request.js';

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('keyFromUrl (the part of the URL after /v1/kv)', () => {
  it('percent-decodes the key once and ignores the query string', () => {
    expect(keyFromUrl('/a%2Fb')).toBe('a/b');
    expect(keyFromUrl('/a%252Fb')).toBe('a%2Fb');
    expect(keyFromUrl('/plain?consistency=one')).toBe('plain');
    expect(keyFromUrl('/a/b')).toBe('a/b');
    expect(keyFromUrl(`/${encodeURIComponent('ключ 🔑')}`)).toBe('ключ 🔑');
  });

  it('refuses empty, too long and badly encoded keys with stable codes', () => {
    expect(codeOf(() => keyFromUrl('/'))).toBe('KEY_EMPTY');
    expect(codeOf(() => keyFromUrl('/?x=1'))).toBe('KEY_EMPTY');
    expect(codeOf(() => keyFromUrl(`/${'k'.repeat(1025)}`))).toBe('KEY_TOO_LONG');
    expect(codeOf(() => keyFromUrl(`/${'%41'.repeat(1025)}`))).toBe('KEY_TOO_LONG');
    expect(codeOf(() => keyFromUrl(`/${'%'.repeat(5000)}`))).toBe('KEY_TOO_LONG');
    expect(codeOf(() => keyFromUrl('/%E0%A4%A'))).toBe('KEY_INVALID');
    expect(codeOf(() => keyFromUrl('/%ED%A0%80'))).toBe('KEY_INVALID');
    expect(keyFromUrl(`/${'k'.repeat(1024)}`)).toHaveLength(1024);
  });
});

describe('control characters in keys', () => {
  it('refuses C0 controls, DEL and C1 controls, naming the character and its position', () => {
    for (const code of [0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9b, 0x9f]) {
      const encoded = encodeURIComponent(`ab${String.fromCharCode(code)}c`);
      let caught: { code?: string; message?: string; details?: unknown } = {};
      try {
        keyFromUrl(`/${encoded}`);
      } catch (error) {
        caught = error as typeof caught;
      }
      const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
      expect(caught.code, name).toBe('KEY_INVALID');
      expect(caught.message).toContain(`control character ${name} at position 2`);
      expect(caught.details).toEqual({ character: name, position: 2 });
    }
  });

  it('accepts printable characters on either side of the control ranges', () => {
    expect(keyFromUrl(`/${encodeURIComponent(' ~\u00a0\u00ff')}`)).toBe(' ~\u00a0\u00ff');
  });
});

describe('contentTypeOf', () => {
  it('defaults to application/octet-stream and refuses what is not printable ASCII', () => {
    expect(contentTypeOf(undefined)).toBe('application/octet-stream');
    expect(contentTypeOf('text/plain; charset=utf-8')).toBe('text/plain; charset=utf-8');
    expect(codeOf(() => contentTypeOf('x'.repeat(256)))).toBe('HEADER_INVALID');
    expect(codeOf(() => contentTypeOf('text/\u0001'))).toBe('HEADER_INVALID');
  });
});
