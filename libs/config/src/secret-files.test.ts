import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { env, loadConfig, readSecretFilesIntoEnv, withSecretFiles, z } from './index.js';

// Docker Swarm secrets are files under /run/secrets; these are real files in a temporary directory.
const dir = mkdtempSync(join(tmpdir(), 'redoubt-secret-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function refusal(run: () => unknown): { code?: string; message: string; details?: unknown } {
  try {
    run();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('accepted');
}

const token = '7c4e9a1b03d84f26b5e0a9c1d2f3e4a5';
const schema = z.object({ CLUSTER_TOKEN: env.secret(), ADMIN_KEY: env.secret() });

describe('NAME_FILE: a secret read from a file', () => {
  it('fills the variable from the file, without the trailing line end', () => {
    const config = loadConfig(schema, {
      CLUSTER_TOKEN_FILE: secretFile('token', `${token}\n`),
      ADMIN_KEY: 'f1d2a07c55e04b3b9a1e6c0d9f7b2a44',
    });
    expect(config.CLUSTER_TOKEN).toBe(token);
  });

  it('keeps inner whitespace and a value without a line end as they are', () => {
    const path = secretFile('spaced', 'a b c d e f g h i j k l\n\n');
    expect(withSecretFiles({ API_KEYS_FILE: path }).API_KEYS).toBe('a b c d e f g h i j k l\n');
    expect(withSecretFiles({ ADMIN_KEY_FILE: secretFile('bare', 'bare-value') }).ADMIN_KEY).toBe(
      'bare-value',
    );
  });

  it("leaves the machine's other *_FILE variables alone (paths for other programs, not secrets)", () => {
    const env = {
      TF_CLI_CONFIG_FILE: join(dir, 'does-not-exist'),
      SSL_CERT_FILE: secretFile('cert', 'not a secret'),
      X_FILE: secretFile('x', 'x'),
    };
    const resolved = withSecretFiles(env);
    expect(resolved).toEqual(env);
    expect(resolved.SSL_CERT).toBeUndefined();
  });

  it('refuses NAME and NAME_FILE both set to different values, naming both', () => {
    const error = refusal(() =>
      loadConfig(schema, {
        CLUSTER_TOKEN: token,
        CLUSTER_TOKEN_FILE: secretFile('t2', 'another-token-0123456789abcdef'),
        ADMIN_KEY: token,
      }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('CLUSTER_TOKEN_FILE: CLUSTER_TOKEN is set too');
  });

  it('names every unreadable or empty file at once', () => {
    const error = refusal(() =>
      withSecretFiles({
        CLUSTER_TOKEN_FILE: join(dir, 'does-not-exist'),
        ADMIN_KEY_FILE: secretFile('empty', '\n'),
      }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`CLUSTER_TOKEN_FILE: cannot read ${join(dir, 'does-not-exist')}: ENOENT`);
    expect(error.message).toContain('ADMIN_KEY_FILE:');
    expect(error.message).toContain('is empty');
  });

  it('a secret from a file still goes through the schema (a short one is refused)', () => {
    const error = refusal(() =>
      loadConfig(schema, { CLUSTER_TOKEN_FILE: secretFile('short', 'short\n'), ADMIN_KEY: token }),
    );
    expect(error.message).toMatch(/CLUSTER_TOKEN: .*16/);
  });

  it('an entry point fills its environment first, then loads its schema from it (as loadConfigOrExit does)', () => {
    const target: NodeJS.ProcessEnv = {
      CLUSTER_TOKEN_FILE: secretFile('token-2', `${token}\n`),
      ADMIN_KEY_FILE: secretFile('admin-2', 'f1d2a07c55e04b3b9a1e6c0d9f7b2a44'),
    };
    readSecretFilesIntoEnv(target);
    expect(target.CLUSTER_TOKEN).toBe(token);
    expect(loadConfig(schema, target)).toEqual({
      CLUSTER_TOKEN: token,
      ADMIN_KEY: 'f1d2a07c55e04b3b9a1e6c0d9f7b2a44',
    });
  });

  it('readSecretFilesIntoEnv fills the environment itself, for code that reads it later', () => {
    const target: NodeJS.ProcessEnv = {
      BACKUP_S3_T1_SECRET_ACCESS_KEY_FILE: secretFile('s3', 'k'.repeat(24)),
    };
    readSecretFilesIntoEnv(target);
    expect(target.BACKUP_S3_T1_SECRET_ACCESS_KEY).toBe('k'.repeat(24));
    expect(loadConfig(z.object({ A: z.string() }), { A: 'x', EMPTY_FILE: '' })).toEqual({ A: 'x' });
  });
});
