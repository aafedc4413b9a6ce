import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './index.js';

/**
 * The Redis and sentinel start scripts of deploy/kubernetes/base, run for real: no cluster runs here, so
 * each "pod" is a container on a Docker network of this run, with the pod's host name and its DNS name
 * under the headless Service as a network alias, the scripts mounted where the ConfigMap puts them, and
 * the pod's security context (uid 999, read-only root, no capabilities, a memory-backed /run, a directory of this run as its claim).
 * Redis is Debian's 7.0 from the offline base image (the manifests name the official redis:7.2 image).
 */
const IMAGE = process.env.REDOUBT_OFFLINE_BASE_IMAGE ?? 'redoubt/offline-base:bookworm';
const run = randomBytes(3).toString('hex');
const network = `redoubt-sentinel-test-${run}`;
const password = randomBytes(24).toString('hex');
const sentinelPassword = randomBytes(24).toString('hex');
const SENTINELS = [0, 1, 2].map((i) => `redoubt-sentinel-${i}.redoubt-sentinel:26379`).join(',');
const started: string[] = [];
const volumes = mkdtempSync(join(tmpdir(), 'redoubt-sentinel-test-'));

/** The pod's claim: a directory of this run, writable by the pod's uid as fsGroup makes it. */
function volume(container: string): string {
  const dir = join(volumes, container);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  return dir;
}

const docker = (...args: string[]) =>
  execFileSync('docker', args, { encoding: 'utf8', timeout: 30_000 }).trim();

function startPod(set: 'redoubt-redis' | 'redoubt-sentinel', ordinal: number): string {
  const pod = `${set}-${ordinal}`;
  const container = `${pod}-${run}`;
  const script = set === 'redoubt-redis' ? 'redis-start.sh' : 'sentinel-start.sh';
  const runDir = set === 'redoubt-redis' ? '/run/redis' : '/run/sentinel';
  spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
  docker(
    'run', '-d', '--name', container, '--hostname', pod, '--network', network,
    '--network-alias', `${pod}.${set}`,
    '--user', '999:999', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '--tmpfs', `${runDir}:mode=1777`, '-v', `${volume(container)}:/data`,
    '-v', `${join(REPO_ROOT, 'deploy/kubernetes/base')}:/scripts:ro`,
    '-e', `REDIS_PASSWORD=${password}`, '-e', `REDIS_SENTINEL_PASSWORD=${sentinelPassword}`,
    '-e', `REDISCLI_AUTH=${set === 'redoubt-redis' ? password : sentinelPassword}`,
    '-e', `REDIS_SENTINELS=${SENTINELS}`, '-e', 'REDIS_SENTINEL_NAME=redoubt', '-e', 'SENTINEL_QUORUM=2',
    IMAGE, '/bin/sh', `/scripts/${script}`,
  ); // prettier-ignore
  if (!started.includes(container)) started.push(container);
  return container;
}

const redisCli = (container: string, ...args: string[]) =>
  docker('exec', container, 'redis-cli', '--raw', ...args);
const masterSeenBy = (sentinel: number) =>
  redisCli(
    `redoubt-sentinel-${sentinel}-${run}`,
    '-p',
    '26379',
    'SENTINEL',
    'get-master-addr-by-name',
    'redoubt',
  ).split('\n')[0];
const role = (ordinal: number) => redisCli(`redoubt-redis-${ordinal}-${run}`, 'ROLE').split('\n').slice(0, 2);

async function until<T>(
  what: string,
  read: () => T,
  ok: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = read();
      if (ok(last)) return last;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await sleep(250);
  }
}

describe('Redis with Sentinel: the start scripts of deploy/kubernetes/base', () => {
  beforeAll(() => {
    const image = spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
    if (image.error || image.status !== 0)
      throw new Error(
        `the Docker image ${IMAGE} is missing: npm test builds it (deploy/docker/build-offline-base.sh), ` +
          'or run that script; a Docker engine must be running',
      );
    docker('network', 'create', network);
    for (const i of [0, 1]) startPod('redoubt-redis', i);
    for (const i of [0, 1, 2]) startPod('redoubt-sentinel', i);
  }, 60_000);

  afterAll(() => {
    for (const container of started) spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
    spawnSync('docker', ['network', 'rm', network], { stdio: 'ignore' });
    rmSync(volumes, { recursive: true, force: true });
  });

  it('first start: pod 0 is master, pod 1 its replica, every sentinel names pod 0', async () => {
    await until(
      'redis-1 replicating',
      () => role(1),
      (r) => r[0] === 'slave' && r[1] === 'redoubt-redis-0.redoubt-redis',
      20_000,
    );
    expect(role(0)[0]).toBe('master');
    for (const s of [0, 1, 2])
      await until(
        `sentinel ${s}`,
        () => masterSeenBy(s),
        (m) => m === 'redoubt-redis-0.redoubt-redis',
        20_000,
      );
    // Before a failover can happen each sentinel must have found the replica (from the master's INFO)
    // and the other two sentinels (their hellos on the master).
    for (const s of [0, 1, 2]) {
      const sentinel = `redoubt-sentinel-${s}-${run}`;
      await until(
        `sentinel ${s} knows the replica`,
        () => redisCli(sentinel, '-p', '26379', 'SENTINEL', 'replicas', 'redoubt'),
        (out) => out.includes('redoubt-redis-1.redoubt-redis'),
        30_000,
      );
      await until(
        `sentinel ${s} knows the others`,
        () =>
          redisCli(sentinel, '-p', '26379', 'SENTINEL', 'sentinels', 'redoubt')
            .split('\n')
            .filter((l) => l === 'name').length,
        (n) => n === 2,
        30_000,
      );
    }
    // The passwords are required: no unauthenticated access to Redis or to a sentinel.
    const anonymous = spawnSync(
      'docker',
      ['exec', '-e', 'REDISCLI_AUTH=', `redoubt-redis-0-${run}`, 'redis-cli', 'GET', 'x'],
      { encoding: 'utf8' },
    );
    expect(anonymous.stdout + anonymous.stderr).toMatch(/NOAUTH/);
  }, 90_000);

  it('the master dies: the sentinels promote pod 1; pod 0 recreated rejoins as its replica; a new sentinel follows', async () => {
    redisCli(`redoubt-redis-0-${run}`, 'SET', 'placement-epoch', '7');
    await until(
      'replicated',
      () => redisCli(`redoubt-redis-1-${run}`, 'GET', 'placement-epoch'),
      (v) => v === '7',
      10_000,
    );

    docker('rm', '-f', `redoubt-redis-0-${run}`); // the pod is gone
    for (const s of [0, 1, 2])
      await until(
        `sentinel ${s} failover`,
        () => masterSeenBy(s),
        (m) => m === 'redoubt-redis-1.redoubt-redis',
        45_000,
      );
    await until(
      'pod 1 master',
      () => role(1)[0],
      (r) => r === 'master',
      10_000,
    );
    expect(redisCli(`redoubt-redis-1-${run}`, 'GET', 'placement-epoch')).toBe('7');

    startPod('redoubt-redis', 0); // recreated by its StatefulSet, asks the sentinels first
    await until(
      'pod 0 rejoined',
      () => role(0),
      (r) => r[0] === 'slave' && r[1] === 'redoubt-redis-1.redoubt-redis',
      30_000,
    );

    docker('rm', '-f', `redoubt-sentinel-2-${run}`);
    startPod('redoubt-sentinel', 2);
    await until(
      'new sentinel 2',
      () => masterSeenBy(2),
      (m) => m === 'redoubt-redis-1.redoubt-redis',
      20_000,
    );
  }, 150_000);
});
