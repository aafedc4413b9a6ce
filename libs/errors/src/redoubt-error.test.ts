import { describe, expect, it } from 'vitest';
import { errorCatalogue, isRedoubtError, RedoubtError, toRedoubtError } from './index.js';

describe('RedoubtError', () => {
  it('carries the catalogue kind and summary for its code', () => {
    const error = new RedoubtError('KEY_TOO_LONG', undefined, { limit: 1024 });
    expect(error.kind).toBe('invalid');
    expect(error.message).toBe(errorCatalogue.KEY_TOO_LONG.summary);
    expect(error.toJSON()).toEqual({
      code: 'KEY_TOO_LONG',
      message: error.message,
      details: { limit: 1024 },
    });
  });

  it('is recognised by code and wraps foreign errors as INTERNAL', () => {
    expect(isRedoubtError(new RedoubtError('AUTH_MISSING'), 'AUTH_MISSING')).toBe(true);
    expect(isRedoubtError(new RedoubtError('AUTH_MISSING'), 'AUTH_INVALID')).toBe(false);
    const wrapped = toRedoubtError(new TypeError('boom'));
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.cause).toBeInstanceOf(TypeError);
  });

  it('has a kind for every code in the catalogue', () => {
    for (const entry of Object.values(errorCatalogue)) expect(entry.kind).toMatch(/^[a-z_]+$/);
  });
});
