import { fileURLToPath } from 'node:url';

/** The repository root (this file is libs/deploy-checks/src/repo-root.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
