#!/usr/bin/env node
// `npm run chaos:docker`: the whole chaos run on a real Docker engine, start to finish, bounded in time.
// 1. Docker: installs docker.io and docker-compose from Debian if missing (as root) and starts dockerd in
//    the background if no engine answers.
// 2. Images: with no container registry (no public base image present locally), builds the offline base
//    (deploy/docker/build-offline-base.sh) and uses it for every service; Grafana is left out (say so).
// 3. docker-compose up of a project of its own (unique name, its own network and volumes), waits healthy;
//    for a scenario with clock-skew faults, with deploy/docker/chaos-clock.yml on top: the app services
//    preload the host's libfaketime and read
//    their clock offset from chaos/reports/<run>/clock/<service> (clock-skew faults; +0s until one starts).
//    Link faults (partition, slow-link, reset-link) run the host's iptables in a container's network
//    namespace (docker.io brings iptables).
// 4. Runs the chaos container (profile `chaos`) with the CI scenario; its exit code is the verdict.
// 5. Always: compose logs into the report folder, docker-compose down -v.
// Exit code: the chaos verdict (0 pass, 1 a verification failed), 3 when the run could not happen.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  ensureDebianPackage,
  ensureDockerEngine,
  ensureOfflineBaseImage,
  OFFLINE_BASE_IMAGE,
  run,
} from './prerequisites.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

const DEADLINE_MS = Number(process.env.CHAOS_DOCKER_DEADLINE_MS ?? 20 * 60_000);
const scenario = process.argv[2] ?? process.env.CHAOS_SCENARIO ?? 'chaos/scenarios/ci-docker.yaml';
const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
const project = `redoubt-chaos-${process.pid}`;
const reportsRoot = join(root, 'chaos', 'reports');
const OFFLINE_BASE = OFFLINE_BASE_IMAGE;

const log = (msg) => console.log(`[chaos:docker] ${msg}`);
const sh = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', ...opts });

const hardStop = setTimeout(() => {
  console.error(`[chaos:docker] deadline of ${DEADLINE_MS / 60_000} min reached: tearing down`);
  teardown().finally(() => process.exit(124));
}, DEADLINE_MS);

function imageExists(image) {
  return sh('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status === 0;
}

/** The folder holding the host's libfaketime.so.1 (Debian: /usr/lib/<triplet>/faketime). */
function faketimeLibDir() {
  for (const triplet of readdirSync('/usr/lib')) {
    const dir = join('/usr/lib', triplet, 'faketime');
    if (existsSync(join(dir, 'libfaketime.so.1'))) return dir;
  }
  throw new Error('libfaketime.so.1 not found under /usr/lib/*/faketime (apt-get install -y faketime)');
}

/** One offset file per service of deploy/docker/chaos-clock.yml, all `+0s`, writable by the chaos container. */
function clockFiles(dir) {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  for (const service of ['data-1', 'data-2', 'data-3', 'gateway-1', 'gateway-2']) {
    writeFileSync(join(dir, service), '+0s\n');
    chmodSync(join(dir, service), 0o666);
  }
  return dir;
}

/** Whether the scenario file has a clock-skew fault (the chaos app validates the file itself). */
function usesClockFaults(file) {
  try {
    return /^\s*(-\s*)?kind:\s*clock-skew\b/m.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

function composeEnv(offline, httpPort, monitorPort, prometheusPort) {
  const socketGid = String(statSync('/var/run/docker.sock').gid);
  const env = {
    ...process.env,
    COMPOSE_PROJECT_NAME: project,
    // Clock faults only: the services run under libfaketime (deploy/docker/chaos-clock.yml) when the
    // scenario skews a clock; every other run starts the stack exactly as docker-compose.yml says.
    ...(usesClockFaults(scenario)
      ? {
          COMPOSE_FILE: 'docker-compose.yml:deploy/docker/chaos-clock.yml',
          REDOUBT_FAKETIME_LIB: faketimeLibDir(),
          REDOUBT_CLOCK_DIR: clockFiles(join(reportsRoot, runId, 'clock')),
        }
      : {}),
    DOCKER_GID: socketGid,
    REDOUBT_HTTP_PORT: String(httpPort),
    REDOUBT_MONITOR_PORT: String(monitorPort),
    REDOUBT_PROMETHEUS_PORT: String(prometheusPort),
    REDOUBT_PARTITIONS: process.env.REDOUBT_PARTITIONS ?? '1024',
    REDOUBT_DEAD_AFTER_MS: process.env.REDOUBT_DEAD_AFTER_MS ?? '60000',
    CHAOS_SCENARIO: scenario,
    CHAOS_RUN_ID: runId,
    // The compose file has no default secrets: this run's own (its volumes go with it at teardown).
    REDOUBT_API_KEYS: process.env.REDOUBT_API_KEYS || randomBytes(24).toString('hex'),
    REDOUBT_ADMIN_KEY: process.env.REDOUBT_ADMIN_KEY || randomBytes(24).toString('hex'),
    REDOUBT_CLUSTER_TOKEN: process.env.REDOUBT_CLUSTER_TOKEN || randomBytes(24).toString('hex'),
    REDOUBT_REDIS_PASSWORD: process.env.REDOUBT_REDIS_PASSWORD || randomBytes(24).toString('hex'),
    REDOUBT_GRAFANA_PASSWORD: process.env.REDOUBT_GRAFANA_PASSWORD || randomBytes(24).toString('hex'),
    REDOUBT_BACKUP_ENCRYPTION_KEY:
      process.env.REDOUBT_BACKUP_ENCRYPTION_KEY || randomBytes(32).toString('hex'),
    REDOUBT_BACKUP_SIGNING_KEY: process.env.REDOUBT_BACKUP_SIGNING_KEY || randomBytes(32).toString('hex'),
    REDOUBT_S3_ACCESS_KEY_ID: process.env.REDOUBT_S3_ACCESS_KEY_ID || randomBytes(12).toString('hex'),
    REDOUBT_S3_SECRET_ACCESS_KEY: process.env.REDOUBT_S3_SECRET_ACCESS_KEY || randomBytes(24).toString('hex'),
  };
  if (offline) {
    Object.assign(env, {
      BASE_IMAGE: OFFLINE_BASE,
      REDIS_IMAGE: OFFLINE_BASE,
      HAPROXY_IMAGE: OFFLINE_BASE,
      PROMETHEUS_IMAGE: OFFLINE_BASE,
    });
  }
  return env;
}

let env;
let started = false;
async function compose(args, opts = {}) {
  return run('docker-compose', ['-p', project, ...args], { env, ...opts });
}

async function teardown() {
  if (!started) return;
  started = false;
  const dir = join(reportsRoot, runId);
  mkdirSync(dir, { recursive: true });
  const logs = sh('docker-compose', ['-p', project, 'logs', '--no-color', '--tail', '400'], {
    env,
    maxBuffer: 64 << 20,
  });
  writeFileSync(join(dir, 'compose.log'), (logs.stdout ?? '') + (logs.stderr ?? ''));
  log(`compose logs saved to ${join(dir, 'compose.log')}`);
  await compose(['--profile', 'chaos', 'down', '-v', '--remove-orphans', '--timeout', '5']);
}

async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let code = 1;
try {
  await ensureDockerEngine();
  await ensureDebianPackage('faketime');
  await ensureDebianPackage('iptables');
  const offline = process.env.REDOUBT_IMAGES !== 'public' && !imageExists('node:20-bookworm-slim');
  if (offline) {
    log(
      "no container registry images here: using the offline base (built once from Debian packages + this machine's node)",
    );
    if (!(await ensureOfflineBaseImage())) throw new Error('offline base build failed');
    log('Grafana is left out of the offline run: its image cannot be built from Debian packages');
  }
  mkdirSync(join(reportsRoot, runId), { recursive: true });
  chmodSync(join(reportsRoot, runId), 0o777); // the chaos container runs as uid 10001
  chmodSync(reportsRoot, 0o777);
  env = composeEnv(offline, await freePort(), await freePort(), await freePort());

  log(`building images (project ${project})`);
  if ((await compose(['build'])) !== 0) throw new Error('image build failed');
  const services = sh('docker-compose', ['config', '--services'], { env }).stdout.split('\n').filter(Boolean);
  const wanted = services.filter((s) => !(offline && s === 'grafana') && s !== 'chaos' && s !== 'k6');
  started = true;
  log(`starting ${wanted.join(', ')}`);
  if ((await compose(['up', '-d', ...wanted])) !== 0) throw new Error('docker-compose up failed');
  await waitHealthy(wanted, 180_000);
  log(`running scenario ${scenario}`);
  code = await compose(['--profile', 'chaos', 'run', '--rm', '-e', `CHAOS_RUN_ID=${runId}`, 'chaos']);
  log(code === 0 ? 'verdict: PASS' : `verdict: FAIL (exit ${code}); report in chaos/reports/${runId}/`);
} catch (error) {
  // Could not run the scenario at all (engine, build, startup): exit 3, distinct from a failed verdict (1).
  console.error(`[chaos:docker] ${error.message}`);
  code = 3;
} finally {
  await teardown();
  clearTimeout(hardStop);
}
process.exit(code);

async function waitHealthy(services, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = sh('docker-compose', ['-p', project, 'ps', '-q', ...services], { env })
      .stdout.split('\n')
      .filter(Boolean);
    const states = ids.map((id) => {
      const out = sh('docker', [
        'inspect',
        '-f',
        '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
        id,
      ]).stdout.trim();
      return out;
    });
    const bad = states.filter((s) => !/ running (healthy|none)$/.test(s));
    if (ids.length >= services.length && bad.length === 0) {
      log(`all ${ids.length} containers healthy`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`not healthy within ${timeoutMs / 1000} s: ${bad.join('; ')}`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}
