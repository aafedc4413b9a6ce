import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '@redoubt/local-stack';
import type { CellResult } from './load-driver.js';

/** Where Debian's golang-etcd-server-dev puts the etcd client sources (GOPATH mode). */
export const DEBIAN_GOPATH = '/usr/share/gocode';
const SOURCE = resolve(REPO_ROOT, 'apps/gateway/bench/go-driver/main.go');

/** One measured cell as the Go driver reports it (see go-driver/main.go). */
export type GoCell = Pick<
  CellResult,
  | 'concurrency'
  | 'durationSeconds'
  | 'requests'
  | 'errors'
  | 'rps'
  | 'p50Ms'
  | 'p99Ms'
  | 'maxMs'
  | 'firstError'
> & { driverCpuMicrosPerRequest: number };

export function goVersion(): string | undefined {
  const result = spawnSync('go', ['version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Builds the driver into `dir` (GOPATH mode against Debian's etcd client; the Go build cache in the
 * system temp directory makes rebuilds take a second). tools/bench-store.mjs installs the packages.
 */
export async function buildGoDriver(dir: string): Promise<string> {
  if (!goVersion()) throw new Error('go is not installed: apt-get install -y golang-go');
  if (!existsSync(join(DEBIAN_GOPATH, 'src/go.etcd.io/etcd/clientv3')))
    throw new Error('the etcd client sources are missing: apt-get install -y golang-etcd-server-dev');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'store-driver');
  await new Promise<void>((done, fail) =>
    execFile(
      'go',
      ['build', '-o', out, SOURCE],
      {
        cwd: dir,
        env: {
          ...process.env,
          GO111MODULE: 'off',
          GOPATH: DEBIAN_GOPATH,
          GOCACHE: join(tmpdir(), 'redoubt-go-build-cache'),
          GOFLAGS: '',
        },
      },
      (error, _stdout, stderr) => (error ? fail(new Error(`go build failed: ${stderr}`)) : done()),
    ),
  );
  return out;
}

/** Runs the driver once (one cell, or `-op populate`) and parses the JSON line it prints. */
export function runGoDriver<T = GoCell>(
  binary: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<T> {
  return new Promise((done, fail) =>
    execFile(
      binary,
      [...args],
      { env: { ...process.env, ...env }, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`store-driver ${args.join(' ')}: ${stderr || error.message}`));
        else done(JSON.parse(stdout) as T);
      },
    ),
  );
}
