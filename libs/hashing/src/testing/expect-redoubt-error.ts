import type { ErrorCode } from '@redoubt/errors';
import { isRedoubtError } from '@redoubt/errors';
import { expect } from 'vitest';

/** Asserts that `fn` throws a RedoubtError with `code`. */
export function expectRedoubtError(fn: () => unknown, code: ErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isRedoubtError(thrown), `expected a RedoubtError, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
}
