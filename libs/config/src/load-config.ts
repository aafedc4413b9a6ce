import type { z } from 'zod';
import { RedoubtError } from '@redoubt/errors';
import { readSecretFilesIntoEnv, withSecretFiles } from './secret-files.js';

/**
 * Parses `env` with a zod schema. Every wrong or missing variable is named in one error, so an operator
 * fixes a bad deployment in one go instead of one variable per restart. A `NAME_FILE` variable supplies
 * `NAME` from a file (Docker/Kubernetes secrets: secret-files.ts).
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(withSecretFiles(env));
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new RedoubtError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, {
    variables: result.error.issues.map((issue) => issue.path.join('.')),
  });
}

/** For a process entry point: load or print the problems and exit 1 (before anything starts listening). */
export function loadConfigOrExit<S extends z.ZodType>(
  schema: S,
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  try {
    readSecretFilesIntoEnv(env);
    return loadConfig(schema, env);
  } catch (error) {
    console.error(`${service}: ${(error as Error).message}`);
    process.exit(1);
  }
}
