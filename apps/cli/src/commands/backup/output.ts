import { toRedoubtError } from '@redoubt/errors';

/** How a command speaks: a JSON document on stdout for scripts, or lines for people. */
export interface Output {
  json: boolean;
  /** A line for people (suppressed with --json). */
  line(text: string): void;
  /** The final result: printed as JSON with --json, else by `human`. */
  result<T>(value: T, human: (value: T) => void): void;
}

export function outputFor(json: boolean): Output {
  return {
    json,
    line: (text) => {
      if (!json) console.log(text);
    },
    result: (value, human) => {
      if (json) console.log(JSON.stringify(value, null, 2));
      else human(value);
    },
  };
}

/**
 * Runs a command body. With --json an error is also printed as `{ ok: false, error }` on stdout before it
 * propagates (main prints `redoubt: CODE: message` on stderr and exits 1). A result with `ok: false` sets
 * exit code 1 without throwing, after its summary is printed.
 */
export async function runCommand(
  json: boolean,
  body: (out: Output) => Promise<{ ok: boolean } | void>,
): Promise<void> {
  const out = outputFor(json);
  try {
    const result = await body(out);
    if (result && result.ok === false) process.exitCode = 1;
  } catch (error) {
    if (json) {
      const e = toRedoubtError(error);
      console.log(
        JSON.stringify(
          { ok: false, error: { code: e.code, message: e.message, details: e.details } },
          null,
          2,
        ),
      );
    }
    throw error;
  }
}
