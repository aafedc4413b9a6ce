// Shared by `npm start`, `npm test` and the benchmarks: make sure what the run needs is installed, or say
// exactly how to install it. Debian packages are installed automatically only when running as root (as on
// the project's CI and development machines); everyone else gets the command to run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, statSync } from 'node:fs';

export function run(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', ...options });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
}

export function onPath(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

let aptUpdated = false;
/** `present` says whether the package is there when it installs no binary (default: `binary` on the PATH). */
export async function ensureDebianPackage(binary, pkg = binary, present = () => onPath(binary)) {
  if (present()) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath('apt-get')) {
    console.error(`✗ ${binary} is missing. Install it with:\n    sudo apt-get install -y ${pkg}`);
    process.exit(1);
  }
  console.log(`• ${binary} is missing: installing the Debian package ${pkg}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await run('apt-get', ['update', '-qq'], { env });
    aptUpdated = true;
  }
  const code = await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { env });
  if (code !== 0 || !present()) {
    console.error(`✗ could not install ${pkg}; install it by hand: apt-get install -y ${pkg}`);
    process.exit(1);
  }
}

export async function ensureNodeModules() {
  const stale =
    !existsSync('node_modules/.package-lock.json') ||
    statSync('package-lock.json').mtimeMs > statSync('node_modules/.package-lock.json').mtimeMs + 1000;
  if (!stale) return;
  console.log('• installing npm packages (npm ci)');
  const code = await run('bash', [new URL('./npm-install.sh', import.meta.url).pathname]);
  if (code !== 0) process.exit(code);
}

export async function ensurePrerequisites({ npm = true, redis = false } = {}) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`✗ Node.js ${process.versions.node} is too old: redoubt needs Node.js 20.19 or newer.`);
    process.exit(1);
  }
  if (npm) await ensureNodeModules();
  if (redis) await ensureDebianPackage('redis-server');
}

const dockerAnswers = () => spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;

/**
 * A Docker engine that answers, with docker-compose and debootstrap (for the offline base image) beside it.
 * Installs the Debian packages when missing (as root) and starts dockerd in the background when no engine
 * answers; a non-root user without an engine is told what to run.
 */
export async function ensureDockerEngine() {
  await ensureDebianPackage('dockerd', 'docker.io');
  await ensureDebianPackage('docker-compose', 'docker-compose');
  await ensureDebianPackage('debootstrap', 'debootstrap');
  if (dockerAnswers()) return;
  if (process.getuid?.() !== 0) {
    console.error(
      '✗ no Docker engine answers. Start one with:\n    sudo dockerd &   (or: sudo systemctl start docker)',
    );
    process.exit(1);
  }
  console.log(
    '• no Docker engine answers: starting dockerd in the background (log: /tmp/redoubt-dockerd.log)',
  );
  const out = openSync('/tmp/redoubt-dockerd.log', 'a');
  spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] }).unref();
  const deadline = Date.now() + 60_000;
  while (!dockerAnswers()) {
    if (Date.now() > deadline) {
      console.error('✗ dockerd did not come up within 60 s; see /tmp/redoubt-dockerd.log');
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export const OFFLINE_BASE_IMAGE = process.env.REDOUBT_OFFLINE_BASE ?? 'redoubt/offline-base:bookworm';

/**
 * The offline base image (deploy/docker/build-offline-base.sh): Debian bookworm from this machine's apt
 * mirror plus this machine's node. Machines without a container registry build every image from it; the
 * script returns at once when the image of the current recipe exists. Returns false when the build failed.
 */
export async function ensureOfflineBaseImage() {
  const script = new URL('../deploy/docker/build-offline-base.sh', import.meta.url).pathname;
  return (await run('bash', [script])) === 0;
}
