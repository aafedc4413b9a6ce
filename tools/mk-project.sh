mk_lib () 
{ 
    d=libs/$1;
    mkdir -p $d/src;
    cat > $d/package.json <<EOF
{
  "name": "@redoubt/$1",
  "version": "0.1.0",
  "private": true,
  "description": "$2",
  "type": "module",
  "exports": { ".": "./src/index.ts" },
  "types": "./src/index.ts",
  "scripts": {
    "lint": "eslint .",
    "typecheck": "tsc -p tsconfig.json --noEmit",
    "test": "vitest run",
    "build": "tsc -p tsconfig.build.json"
  },
  "nx": { "tags": ["type:lib", "scope:$3"] }
}
EOF

    cat > $d/tsconfig.json <<'EOF'
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "noEmit": true },
  "include": ["src/**/*.ts", "bench/**/*.ts", "vitest.config.ts"]
}
EOF

    cat > $d/tsconfig.build.json <<'EOF'
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "outDir": "dist", "rootDir": "src", "noEmit": false },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.test.ts"]
}
EOF

    cat > $d/vitest.config.ts <<EOF
import { projectTestConfig } from '../../vitest.shared.js';

export default projectTestConfig('$1');
EOF

    cat > $d/eslint.config.mjs <<'EOF'
export { default } from '../../eslint.config.mjs';
EOF

}
mk_app() { # name description
d=apps/$1; mkdir -p $d/src
cat > $d/package.json <<EOT
{
  "name": "@redoubt/$1",
  "version": "0.1.0",
  "private": true,
  "description": "$2",
  "type": "module",
  "scripts": {
    "lint": "eslint .",
    "typecheck": "tsc -p tsconfig.json --noEmit",
    "test": "vitest run",
    "build": "node ../../tools/build-app.mjs",
    "start": "node --import tsx src/main.ts"
  },
  "nx": { "tags": ["type:app", "scope:$1"] }
}
EOT
cat > $d/tsconfig.json <<'EOT'
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "noEmit": true },
  "include": ["src/**/*.ts", "bench/**/*.ts", "vitest.config.ts"]
}
EOT
cat > $d/vitest.config.ts <<EOT
import { projectTestConfig } from '../../vitest.shared.js';

export default projectTestConfig('$1', { testTimeout: 60_000 });
EOT
cat > $d/eslint.config.mjs <<'EOT'
export { default } from '../../eslint.config.mjs';
EOT
}
