import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `redoubt` executable the tests run, as a user would. */
export const REDOUBT_BIN = fileURLToPath(new URL('../../bin/redoubt.mjs', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the command, ms. */
  ms: number;
  json: () => Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Runs the CLI as a separate process, asynchronously (a test's own workers keep running meanwhile), with
 * `env` over the test's environment; a command still running after `timeoutMs` is killed.
 */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 90_000): Promise<CliRun> {
  const begun = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [REDOUBT_BIN, ...args], {
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill(), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - begun, json: () => JSON.parse(stdout) });
    });
  });
}
