// Compiles the k6 scripts to plain JavaScript in chaos/k6/dist/ (load.js, smoke.js), for k6 versions that
// do not run TypeScript themselves (the compose k6 service mounts that folder). k6's own modules stay
// imports; nothing else is bundled in. Run by apps/chaos's build.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
await build({
  entryPoints: [`${here}load.ts`, `${here}smoke.ts`],
  outdir: `${here}dist`,
  bundle: true,
  format: 'esm',
  target: 'es2020',
  platform: 'neutral',
  external: ['k6', 'k6/*'],
  logLevel: 'warning',
});
console.log('built chaos/k6/dist/load.js, chaos/k6/dist/smoke.js');
