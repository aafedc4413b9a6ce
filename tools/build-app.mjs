// Bundles an app (run from its folder) into dist/main.js for container images: workspace libraries
// (@redoubt/*, shipped as TypeScript source) are bundled in; third-party packages stay external and come
// from node_modules, so native modules such as lmdb keep their prebuilt binaries.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  plugins: [
    {
      name: 'externalise-third-party',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@redoubt/') ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
console.log(`built ${pkg.name} -> dist/main.js`);
