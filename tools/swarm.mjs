#!/usr/bin/env node
// `npm run swarm:up` / `npm run swarm:down`: redoubt on a real Docker Swarm (deploy/swarm/stack.yml).
//
//   node tools/swarm.mjs up   [--stack <name>]   swarm, node labels, secrets, offline images, deploy, wait
//   node tools/swarm.mjs down [--stack <name>]   stack, its secrets, configs and volumes; the swarm if up made it
//
// up: makes this engine a single-node swarm when it is in none (advertised on 127.0.0.1); labels the node
// `redoubt.zone=zone-a` when no node has a zone yet; generates the secrets once (tools/make-env.mjs: strong
// random values, never a default) into .redoubt/swarm/<stack>/ (0600, kept for the next `up`: the backups'
// keys must not change); builds redoubt/app:<REDOUBT_VERSION or swarm> from the offline base when no public
// base image is here (as chaos:docker); `docker stack deploy`; waits until every service runs all its
// replicas healthy and the API answers /readyz through the load balancer.
// down: `docker stack rm` (which takes its secrets and configs), waits for its tasks to go, removes the
// stack's volumes and secret files, the node label up added, and leaves the swarm only if up created it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureDockerEngine, ensureOfflineBaseImage, OFFLINE_BASE_IMAGE, run } from './prerequisites.mjs';

const root = new URL('..', import.meta.url).pathname;
const STACK_FILE = join(root, 'deploy/swarm/stack.yml');
const ZONE_LABEL = 'redoubt.zone';
/** The secret files of the stack and the make-env variable each one comes from. */
const SECRETS = {
  'cluster-token': 'REDOUBT_CLUSTER_TOKEN',
  'admin-key': 'REDOUBT_ADMIN_KEY',
  'api-keys': 'REDOUBT_API_KEYS',
  'redis-password': 'REDOUBT_REDIS_PASSWORD',
  'backup-encryption-key': 'REDOUBT_BACKUP_ENCRYPTION_KEY',
  'backup-signing-key': 'REDOUBT_BACKUP_SIGNING_KEY',
  's3-access-key-id': 'REDOUBT_S3_ACCESS_KEY_ID',
  's3-secret-access-key': 'REDOUBT_S3_SECRET_ACCESS_KEY',
};

const log = (msg) => console.log(`[swarm] ${msg}`);
const sh = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
const out = (cmd, args, opts) => {
  const r = sh(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout || '').trim()}`);
  return r.stdout.trim();
};
const lines = (text) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const stateDir = (stack) => join(root, '.redoubt', 'swarm', stack);
const stateFile = (stack) => join(stateDir(stack), 'state.json');
export function readState(stack) {
  try {
    return JSON.parse(readFileSync(stateFile(stack), 'utf8'));
  } catch {
    return undefined;
  }
}
function writeState(stack, state) {
  mkdirSync(stateDir(stack), { recursive: true, mode: 0o700 });
  writeFileSync(stateFile(stack), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '0.0.0.0', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const swarmState = () => out('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}']);

/** Makes the engine a single-node swarm if it is in none; true when this call created it. */
function ensureSwarm() {
  const state = swarmState();
  if (state === 'active') return false;
  if (state !== 'inactive')
    throw new Error(`this engine's swarm state is "${state}": fix it before deploying`);
  log('no swarm here: docker swarm init --advertise-addr 127.0.0.1 (a single-node swarm)');
  out('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  return true;
}

/** Zones of the swarm's nodes (`redoubt.zone` labels); labels this node when none has one. */
function ensureZones(state) {
  const nodes = lines(out('docker', ['node', 'ls', '-q']));
  const zoneOf = (id) =>
    out('docker', ['node', 'inspect', id, '--format', `{{index .Spec.Labels "${ZONE_LABEL}"}}`]);
  let zones = [...new Set(nodes.map(zoneOf).filter((z) => z && z !== '<no value>'))].sort();
  if (zones.length === 0) {
    const self = out('docker', ['info', '--format', '{{.Swarm.NodeID}}']);
    log(`no node has a ${ZONE_LABEL} label: labelling this node ${ZONE_LABEL}=zone-a`);
    out('docker', ['node', 'update', '--label-add', `${ZONE_LABEL}=zone-a`, self]);
    state.labelledNode = self;
    zones = ['zone-a'];
  }
  // Data node i goes to zone i (cycling when there are fewer zones than data nodes).
  const picked = [1, 2, 3].map((i) => process.env[`REDOUBT_ZONE_D${i}`] || zones[(i - 1) % zones.length]);
  if (new Set(picked).size < 3)
    log(
      `zones ${zones.join(', ')}: fewer than three, so data nodes share a zone (${picked.join(', ')}): ` +
        'replicas then survive a lost process, not a lost machine (docs/deploy.md, adding a machine)',
    );
  return picked;
}

/** The secret files (generated once by make-env, kept for the next `up`). */
function ensureSecrets(stack) {
  const dir = join(stateDir(stack), 'secrets');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const envFile = join(stateDir(stack), 'secrets.env');
  out(process.execPath, [join(root, 'tools/make-env.mjs'), '--file', envFile]);
  const values = new Map(
    lines(readFileSync(envFile, 'utf8'))
      .map((l) => /^([A-Z][A-Z0-9_]*)=(.+)$/.exec(l))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
  for (const [file, variable] of Object.entries(SECRETS)) {
    const value = values.get(variable);
    if (!value) throw new Error(`${envFile} has no ${variable}`);
    writeFileSync(join(dir, file), value, { mode: 0o600 });
  }
  return { dir, values };
}

const imageExists = (image) => sh('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status === 0;

/** The app image, built from the offline base when no public Node image is here. Returns the images to use. */
async function buildImages(tag) {
  const offline = process.env.REDOUBT_IMAGES !== 'public' && !imageExists('node:20-bookworm-slim');
  const images = {};
  if (offline) {
    if (!(await ensureOfflineBaseImage())) throw new Error('the offline base image could not be built');
    Object.assign(images, {
      REDIS_IMAGE: OFFLINE_BASE_IMAGE,
      HAPROXY_IMAGE: OFFLINE_BASE_IMAGE,
      PROMETHEUS_IMAGE: OFFLINE_BASE_IMAGE,
    });
  }
  if (process.env.SWARM_SKIP_BUILD === '1' && imageExists(`redoubt/app:${tag}`)) return images;
  const base = offline ? OFFLINE_BASE_IMAGE : 'node:20-bookworm-slim';
  log(`building redoubt/app:${tag} (base ${base})`);
  const code = await run('docker', [
    'build',
    '-q',
    '-t',
    `redoubt/app:${tag}`,
    '--build-arg',
    `BASE_IMAGE=${base}`,
    root,
  ]);
  if (code !== 0) throw new Error('docker build failed');
  return images;
}

/** The stack's services with their running/desired replicas. */
export function services(stack) {
  return lines(
    out('docker', [
      'service',
      'ls',
      '--filter',
      `label=com.docker.stack.namespace=${stack}`,
      '--format',
      '{{.Name}} {{.Replicas}}',
    ]),
  ).map((l) => {
    const [name, replicas] = l.split(' ');
    const [running, desired] = replicas.split('/').map(Number);
    return { name, running, desired };
  });
}

async function httpOk(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Every service at its replicas (a task counts once healthy: the engine holds it `starting` until then). */
async function waitReady(stack, ports, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = services(stack);
    const behind = list
      .filter((s) => s.running < s.desired)
      .map((s) => `${s.name} ${s.running}/${s.desired}`);
    const api = behind.length === 0 && (await httpOk(`http://127.0.0.1:${ports.http}/readyz`));
    const monitor = api && (await httpOk(`http://127.0.0.1:${ports.monitor}/healthz`));
    if (list.length > 0 && monitor) return;
    if (Date.now() > deadline)
      throw new Error(
        `not ready within ${timeoutMs / 1000} s: ${behind.join(', ') || (api ? 'monitor /healthz' : 'the API /readyz')}`,
      );
    await sleep(1000);
  }
}

/** `swarm:up`. Returns what it deployed (ports, secrets directory, stack) for callers such as chaos:swarm. */
export async function up({ stack = 'redoubt', partitions, deadAfterMs } = {}) {
  const started = Date.now();
  await ensureDockerEngine();
  const state = readState(stack) ?? { stack, createdSwarm: false };
  if (ensureSwarm()) state.createdSwarm = true;
  writeState(stack, state);
  const zones = ensureZones(state);
  writeState(stack, state);
  const secrets = ensureSecrets(stack);
  const tag = process.env.REDOUBT_VERSION || 'swarm';
  const images = await buildImages(tag);
  state.ports ??= {
    http: Number(process.env.REDOUBT_HTTP_PORT) || (await freePort()),
    monitor: Number(process.env.REDOUBT_MONITOR_PORT) || (await freePort()),
  };
  writeState(stack, state);
  const env = {
    ...process.env,
    ...images,
    REDOUBT_STACK: stack,
    REDOUBT_VERSION: tag,
    REDOUBT_SECRETS_DIR: secrets.dir,
    REDOUBT_ZONE_D1: zones[0],
    REDOUBT_ZONE_D2: zones[1],
    REDOUBT_ZONE_D3: zones[2],
    DOCKER_GID: String(statSync('/var/run/docker.sock').gid),
    REDOUBT_HTTP_PORT: String(state.ports.http),
    REDOUBT_MONITOR_PORT: String(state.ports.monitor),
    ...(partitions ? { REDOUBT_PARTITIONS: String(partitions) } : {}),
    ...(deadAfterMs ? { REDOUBT_DEAD_AFTER_MS: String(deadAfterMs) } : {}),
  };
  log(`docker stack deploy ${stack} (zones ${zones.join(', ')})`);
  const code = await run('docker', ['stack', 'deploy', '--resolve-image', 'never', '-c', STACK_FILE, stack], {
    env,
  });
  if (code !== 0) throw new Error('docker stack deploy failed');
  await waitReady(stack, state.ports, Number(process.env.SWARM_READY_TIMEOUT_MS ?? 240_000));
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  log(
    `ready in ${seconds} s: ${services(stack)
      .map((s) => `${s.name.slice(stack.length + 1)} ${s.running}/${s.desired}`)
      .join(', ')}`,
  );
  return { stack, ports: state.ports, secretsDir: secrets.dir, secrets: secrets.values, tag, seconds };
}

/** `swarm:down`. */
export async function down({ stack = 'redoubt' } = {}) {
  const state = readState(stack) ?? {};
  const label = `label=com.docker.stack.namespace=${stack}`;
  if (swarmState() === 'active') {
    log(`docker stack rm ${stack}`);
    sh('docker', ['stack', 'rm', stack], { stdio: 'inherit' });
    const deadline = Date.now() + 120_000;
    // The stack's containers and network go after its services; volumes can only go once unused.
    while (Date.now() < deadline) {
      const left = lines(out('docker', ['ps', '-aq', '--filter', label]));
      const nets = lines(out('docker', ['network', 'ls', '-q', '--filter', label]));
      if (left.length === 0 && nets.length === 0) break;
      await sleep(1000);
    }
  }
  const volumes = lines(out('docker', ['volume', 'ls', '-q', '--filter', label]));
  if (volumes.length > 0) {
    log(`removing volumes ${volumes.join(', ')}`);
    sh('docker', ['volume', 'rm', ...volumes], { stdio: 'inherit' });
  }
  if (state.labelledNode && swarmState() === 'active')
    sh('docker', ['node', 'update', '--label-rm', ZONE_LABEL, state.labelledNode], { stdio: 'ignore' });
  rmSync(stateDir(stack), { recursive: true, force: true });
  if (state.createdSwarm && swarmState() === 'active') {
    const stacks = lines(out('docker', ['stack', 'ls', '--format', '{{.Name}}']));
    if (stacks.length === 0) {
      log('leaving the swarm swarm:up created (docker swarm leave --force)');
      out('docker', ['swarm', 'leave', '--force']);
    } else log(`the swarm stays: other stacks run on it (${stacks.join(', ')})`);
  }
}

function stackOption(argv) {
  const at = argv.indexOf('--stack');
  const stack = at >= 0 ? argv[at + 1] : process.env.REDOUBT_STACK || 'redoubt';
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(stack ?? '')) {
    console.error(`[swarm] --stack "${stack}" is not a stack name (lower-case letters, digits, - and _)`);
    process.exit(2);
  }
  return stack;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command] = process.argv.slice(2);
  const stack = stackOption(process.argv);
  try {
    if (command === 'up') {
      const result = await up({ stack });
      console.log(
        [
          '',
          `redoubt runs on the swarm as stack ${stack}:`,
          `  API (gateways behind HAProxy)  http://127.0.0.1:${result.ports.http}/v1/kv/<key>  (host-mode port, on every interface)`,
          `  monitor status                 http://127.0.0.1:${result.ports.monitor}/v1/cluster  (admin key)`,
          `  secrets (keep private)         ${result.secretsDir}/  (api-keys, admin-key, backup keys...)`,
          `  services                       docker stack services ${stack}`,
          `  Prometheus (not published)     docker run --rm --network ${stack}_redoubt ${OFFLINE_BASE_IMAGE} curl -s prometheus:9090/-/ready`,
          `  stop                           npm run swarm:down${stack === 'redoubt' ? '' : ` -- --stack ${stack}`}`,
        ].join('\n'),
      );
    } else if (command === 'down') {
      await down({ stack });
      log('down');
    } else {
      console.error('usage: node tools/swarm.mjs up|down [--stack <name>]');
      process.exit(2);
    }
  } catch (error) {
    console.error(`[swarm] ${error.message}`);
    process.exit(1);
  }
}
