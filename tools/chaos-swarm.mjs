#!/usr/bin/env node
// `npm run chaos:swarm`: the CI scenario's fault kinds against redoubt on a real Docker Swarm, bounded in time.
// 1. tools/swarm.mjs up with a stack of its own (redoubt-chaos-<pid>: its own network, volumes, secrets and
//    free ports; a single-node swarm is made when the engine is in none, and left again at the end).
// 2. The chaos app in a container on the stack's network (attachable overlay), with the swarm fault driver:
//    chaos run chaos/scenarios/ci-swarm.yaml --driver swarm --project <stack>. Its exit code is the verdict.
// 3. Always: the services' logs into the report folder, then tools/swarm.mjs down (stack, secrets, volumes).
// Exit code: the chaos verdict (0 pass, 1 a verification failed), 3 when the run could not happen,
// 124 when the deadline (CHAOS_SWARM_DEADLINE_MS, 25 min) was reached.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './prerequisites.mjs';
import { down, services, up } from './swarm.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

const DEADLINE_MS = Number(process.env.CHAOS_SWARM_DEADLINE_MS ?? 25 * 60_000);
const scenario = process.argv[2] ?? process.env.CHAOS_SCENARIO ?? 'chaos/scenarios/ci-swarm.yaml';
const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-swarm-${process.pid}`;
const stack = `redoubt-chaos-${process.pid}`;
const chaosContainer = `${stack}-chaos`;
const reportsRoot = join(root, 'chaos', 'reports');
const log = (msg) => console.log(`[chaos:swarm] ${msg}`);
const started = Date.now();
const seconds = (from) => Math.round((Date.now() - from) / 100) / 10;

let deployed = false;
let tornDown = false;
async function teardown() {
  if (tornDown) return;
  tornDown = true;
  spawnSync('docker', ['rm', '-f', chaosContainer], { stdio: 'ignore' }); // only if the deadline cut it short
  if (!deployed) {
    await down({ stack }).catch((error) => console.error(`[chaos:swarm] teardown: ${error.message}`));
    return;
  }
  const dir = join(reportsRoot, runId);
  mkdirSync(dir, { recursive: true });
  const logs = services(stack)
    .map(({ name }) => {
      const r = spawnSync(
        'docker',
        ['service', 'logs', '--no-trunc', '--timestamps', '--tail', '400', name],
        {
          encoding: 'utf8',
          maxBuffer: 64 << 20,
          timeout: 30_000, // `docker service logs` of a replicated service was seen to hang here
        },
      );
      return `==== ${name}\n${r.stdout ?? ''}${r.stderr ?? ''}`;
    })
    .join('\n');
  writeFileSync(join(dir, 'swarm.log'), logs);
  log(`service logs saved to ${join(dir, 'swarm.log')}`);
  await down({ stack }).catch((error) => console.error(`[chaos:swarm] teardown: ${error.message}`));
}

const hardStop = setTimeout(() => {
  console.error(`[chaos:swarm] deadline of ${DEADLINE_MS / 60_000} min reached: tearing down`);
  teardown().finally(() => process.exit(124));
}, DEADLINE_MS);

// Interrupted (Ctrl-C, a CI timeout): still remove the stack, its volumes and the swarm it made.
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    console.error(`[chaos:swarm] ${signal}: tearing down`);
    teardown().finally(() => process.exit(130));
  });

let code = 3;
try {
  deployed = true;
  const stackUp = await up({ stack, partitions: 1024, deadAfterMs: 60_000 });
  log(`stack ${stack} ready in ${stackUp.seconds} s`);
  mkdirSync(join(reportsRoot, runId), { recursive: true });
  chmodSync(reportsRoot, 0o777);
  chmodSync(join(reportsRoot, runId), 0o777); // the chaos container runs as uid 10001
  const gid = String(statSync('/var/run/docker.sock').gid);
  const secret = (name) => stackUp.secrets.get(name);
  // Secrets reach the chaos container as variables named with `-e NAME` (values from this process's
  // environment, so they are not on a command line).
  const env = {
    ...process.env,
    API_KEYS: secret('REDOUBT_API_KEYS'),
    ADMIN_KEY: secret('REDOUBT_ADMIN_KEY'),
    CLUSTER_TOKEN: secret('REDOUBT_CLUSTER_TOKEN'),
  };
  const settings = {
    DATA_NODES: 'd1=http://data-1:7101,d2=http://data-2:7101,d3=http://data-3:7101',
    GATEWAY_URL: 'http://lb:8080',
    MONITOR_URLS: 'http://monitor-1:8070,http://monitor-2:8070',
    SERVICES:
      'gateway-1=http://gateway-1:8080,gateway-2=http://gateway-2:8080,backup-worker=http://backup-worker:8090',
    PARTITIONS: '1024',
    REPLICAS: '3',
    CHAOS_REPORTS_DIR: '/reports',
    CHAOS_RUN_ID: runId,
    DOCKER_SOCKET: '/var/run/docker.sock',
  };
  const chaosStarted = Date.now();
  log(`running ${scenario} against stack ${stack}`);
  code = await run(
    'docker',
    [
      'run',
      '--rm',
      '--no-healthcheck', // the image's check spawns a Node.js process every 5 s for nothing here
      '--name',
      chaosContainer,
      '--network',
      `${stack}_redoubt`,
      '--user',
      `10001:${gid}`,
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      '-v',
      `${reportsRoot}:/reports`,
      '-v',
      `${join(root, 'chaos', 'scenarios')}:/app/chaos/scenarios:ro`,
      '-e',
      'API_KEYS',
      '-e',
      'ADMIN_KEY',
      '-e',
      'CLUSTER_TOKEN',
      ...Object.entries(settings).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      `redoubt/app:${stackUp.tag}`,
      'apps/chaos/dist/main.js',
      'run',
      scenario,
      '--driver',
      'swarm',
      '--project',
      stack,
    ],
    { env },
  );
  log(`chaos run took ${seconds(chaosStarted)} s`);
  log(
    `${code === 0 ? 'verdict: PASS' : `verdict: FAIL (exit ${code})`}: the report is in the chaos/reports/ folder the chaos app named above; ` +
      `service logs in chaos/reports/${runId}/swarm.log`,
  );
} catch (error) {
  console.error(`[chaos:swarm] ${error.message}`);
  code = 3;
} finally {
  await teardown();
  clearTimeout(hardStop);
  log(`total ${seconds(started)} s (deploy, run, teardown)`);
}
process.exit(code);
