import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { placeholderProblem } from './env-schemas.js';

// docker-compose.yml has no default secret: without an .env it refuses to start, with the one
// `npm run make-env` writes it renders; tools/make-env.mjs never changes a value already set.
const root = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'redoubt-compose-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The environment without any REDOUBT_ variable (a developer's shell must not make the test pass). */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REDOUBT_')));

function composeConfig(envFile: string) {
  return spawnSync('docker-compose', ['--env-file', envFile, '-f', 'docker-compose.yml', 'config'], {
    cwd: root,
    env: cleanEnv,
    encoding: 'utf8',
  });
}

function makeEnv(file: string): void {
  execFileSync(process.execPath, [join(root, 'tools/make-env.mjs'), '--file', file], { stdio: 'ignore' });
}

function readEnv(file: string): Map<string, string> {
  return new Map(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
}

describe('docker-compose secrets', () => {
  it('refuses to render without secrets, naming the way to make them', () => {
    const empty = join(dir, 'empty.env');
    writeFileSync(empty, '');
    const result = composeConfig(empty);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('run npm run make-env to create .env');
  });

  it('renders with the .env make-env writes, with no placeholder in it', () => {
    const file = join(dir, 'generated.env');
    makeEnv(file);
    const secrets = readEnv(file);
    for (const name of [
      'REDOUBT_API_KEYS',
      'REDOUBT_ADMIN_KEY',
      'REDOUBT_CLUSTER_TOKEN',
      'REDOUBT_REDIS_PASSWORD',
      'REDOUBT_GRAFANA_PASSWORD',
      'REDOUBT_BACKUP_ENCRYPTION_KEY',
      'REDOUBT_BACKUP_SIGNING_KEY',
    ]) {
      expect(secrets.get(name), name).toMatch(/^[0-9a-f]{48,64}$/);
    }
    const result = composeConfig(file);
    expect(result.stderr).not.toMatch(/make-env/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(secrets.get('REDOUBT_CLUSTER_TOKEN'));
    expect(result.stdout).not.toMatch(/change-me|local-only-/);
  });

  it('make-env keeps every value already set and fills only the missing ones', () => {
    const file = join(dir, 'partial.env');
    writeFileSync(file, 'REDOUBT_ADMIN_KEY=kept-admin-key-0123456789abcdef\nREDOUBT_API_KEYS=\n');
    makeEnv(file);
    const first = readEnv(file);
    expect(first.get('REDOUBT_ADMIN_KEY')).toBe('kept-admin-key-0123456789abcdef');
    expect(first.get('REDOUBT_API_KEYS')).toMatch(/^[0-9a-f]{48}$/);
    makeEnv(file);
    expect(readEnv(file)).toEqual(first);
  });

  it('no file outside tests and docs carries a placeholder secret', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && !/\.(test|spec)\.[cm]?[jt]s$|\.md$/.test(f) && !f.startsWith('node_modules/'));
    const offenders = files.filter((f) => {
      let text: string;
      try {
        text = readFileSync(join(root, f), 'utf8');
      } catch {
        return false;
      }
      return /local-only-[a-z]|[a-z]-change-me/i.test(text);
    });
    expect(offenders).toEqual([]);
    expect(placeholderProblem('local-only-anything-at-all')).toBeDefined();
  });
});
