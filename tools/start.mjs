#!/usr/bin/env node
// `npm start`: the whole of redoubt on this machine (apps/stack). First makes sure what it needs is here
// (npm packages; redis-server from Debian, installed automatically when running as root, otherwise the
// exact command to run), then runs the stack app with the flags given after `npm start --`.
import { spawn } from 'node:child_process';
import { ensurePrerequisites } from './prerequisites.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

await ensurePrerequisites({ npm: true, redis: true });

const child = spawn(
  process.execPath,
  ['--import', 'tsx', 'apps/stack/src/main.ts', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);

// The stack stops its processes in order and then exits; this wrapper only waits for that. A Ctrl-C in
// the terminal reaches the stack directly; a signal sent to this process alone (kill <pid>) is passed on.
const running = () => child.exitCode === null && child.signalCode === null;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (running()) child.kill(signal);
  });
}
// `npm start` runs this under `sh -c`, which does not pass signals on: a SIGTERM to npm ends that shell
// and leaves us orphaned. Losing the parent therefore means "stop" too, so the stack is never left behind.
const parent = process.ppid;
const watchParent = setInterval(() => {
  if (process.ppid !== parent && running()) {
    clearInterval(watchParent);
    child.kill('SIGTERM');
  }
}, 500);
watchParent.unref();
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
