#!/usr/bin/env node
// `npm run bench`: the foundation benchmarks (hashing strategies, placement matrices), one after the
// other so they do not disturb each other. Each writes bench/results/<name>-<timestamp>.json and reports
// its figures as ratios against a baseline measured in the same run. The service benchmarks have their
// own commands: bench:store, bench:repair, bench:backup.
import { ensurePrerequisites, run } from './prerequisites.mjs';

process.chdir(new URL('..', import.meta.url).pathname);
await ensurePrerequisites({ npm: true });
const code = await run('npx', [
  'nx',
  'run-many',
  '-t',
  'bench',
  '-p',
  '@redoubt/hashing',
  '@redoubt/placement',
  '--parallel=1',
  '--outputStyle=stream',
  '--skip-nx-cache',
]);
process.exit(code);
