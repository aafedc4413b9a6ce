#!/usr/bin/env node
// `npm run bench:store`: installs what the store benchmark needs (Debian packages as root, as the rest of
// the tooling does: redis-server, etcd-server, golang-go and the etcd client sources of
// golang-etcd-server-dev for the compiled driver), then runs it (apps/gateway/bench/store.bench.ts).
// `npm run bench:store -- --node-driver` runs the Node-driven second opinion (store-node-driver.bench.ts).
import { existsSync } from 'node:fs';
import { ensureDebianPackage, ensurePrerequisites, run } from './prerequisites.mjs';

process.chdir(new URL('..', import.meta.url).pathname);
await ensurePrerequisites({ npm: true, redis: true });
await ensureDebianPackage('etcd', 'etcd-server');
const nodeDriver = process.argv.includes('--node-driver');
if (!nodeDriver) {
  await ensureDebianPackage('go', 'golang-go');
  await ensureDebianPackage('etcd client sources', 'golang-etcd-server-dev', () =>
    existsSync('/usr/share/gocode/src/go.etcd.io/etcd/clientv3'),
  );
}
const target = nodeDriver ? '@redoubt/gateway:bench:store-node' : '@redoubt/gateway:bench:store';
process.exit(await run('npx', ['nx', 'run', target, '--outputStyle=stream', '--skip-nx-cache']));
