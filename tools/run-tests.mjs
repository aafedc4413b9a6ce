#!/usr/bin/env node
// `npm test`: everything a fresh machine needs to prove the workspace, in one command.
// 1. installs what is missing (npm packages; redis-server, prometheus and docker.io from Debian when running as root,
//    a dockerd in the background and the offline base image; otherwise it says exactly what to install), 2. checks formatting, 3. runs lint, typecheck and test of every project
//    through Nx, 4. prints one closing tally ("N passed, N failed") over every project's test results.
import {
  ensureDebianPackage,
  ensureDockerEngine,
  ensureOfflineBaseImage,
  ensurePrerequisites,
  run,
} from './prerequisites.mjs';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

await ensurePrerequisites({ npm: true, redis: true });
// promtool (alert-rule tests) and a real Prometheus (dashboard checks) come with Debian's prometheus.
await ensureDebianPackage('promtool', 'prometheus');
// libs/chaos's clock and link fault tests: a real libfaketime, and the host's iptables in a container's
// network namespace.
await ensureDebianPackage('faketime');
await ensureDebianPackage('iptables');
// The Docker driver's tests (libs/orchestrator) act on a real container: an engine and the offline base image.
await ensureDockerEngine();
if (!(await ensureOfflineBaseImage())) {
  console.error('✗ the offline base image could not be built (deploy/docker/build-offline-base.sh)');
  process.exit(1);
}

rmSync('.test-results', { recursive: true, force: true });
let failed = false;
const steps = [
  ['npx', ['prettier', '--check', '.', '--log-level', 'warn']],
  ['npx', ['nx', 'run-many', '-t', 'lint', 'typecheck', '--outputStyle=stream', '--parallel=2']],
  // Tests always run for real: a test replayed from a cache proves nothing about this machine (and a
  // machine-wide cache can replay a task without restoring its result file).
  ['npx', ['nx', 'run-many', '-t', 'test', '--outputStyle=stream', '--parallel=2', '--skip-nx-cache']],
];
for (const [cmd, args] of steps) {
  const code = await run(cmd, args);
  if (code !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(' ')} exited with ${code}`);
    failed = true;
    if (cmd === 'npx' && args[0] === 'prettier') console.error('  fix with: npm run format');
  }
}

let passed = 0;
let failedTests = 0;
let skipped = 0;
if (existsSync('.test-results')) {
  for (const file of readdirSync('.test-results').filter((f) => f.endsWith('.json'))) {
    const report = JSON.parse(readFileSync(join('.test-results', file), 'utf8'));
    passed += report.numPassedTests ?? 0;
    failedTests += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  }
}
console.log(`\n${passed} passed, ${failedTests} failed` + (skipped ? `, ${skipped} skipped` : ''));
if (passed === 0) {
  console.error('no test ran: that is a failure');
  failed = true;
}
process.exit(failed || failedTests > 0 ? 1 : 0);
