import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '@redoubt/local-stack';
import { parseStackFlags } from './stack-cli.js';

const main = resolve(REPO_ROOT, 'apps/stack/src/main.ts');

function runCli(args: string[], env: Record<string, string>) {
  const home = mkdtempSync(join(tmpdir(), 'redoubt-stack-cli-'));
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, REDOUBT_HOME: home, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { ...result, homeEntries: readdirSync(home) };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

describe('npm start (apps/stack/src/main.ts)', () => {
  it('exits non-zero naming the variable when an environment value is wrong, before starting anything', () => {
    const result = runCli([], { REDOUBT_BASE_PORT: 'abc' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('REDOUBT_BASE_PORT');
    expect(result.homeEntries).toEqual([]);
  });

  it('names every wrong variable at once, secrets included', () => {
    const result = runCli([], { REDOUBT_API_KEY: 'short', REDOUBT_GATEWAY_PORT: '70000' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/REDOUBT_API_KEY: must be at least 16 characters/);
    expect(result.stderr).toContain('REDOUBT_GATEWAY_PORT');
  });

  it('rejects a wrong flag with the usage', () => {
    const result = runCli(['--gateways', '0'], {});
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("option '--gateways <n>' argument '0' is invalid");
    const redis = runCli(['--redis', 'cluster'], {});
    expect(redis.status).toBe(1);
    expect(redis.stderr).toMatch(
      /option '--redis <mode>' argument 'cluster' is invalid. Allowed choices are single, sentinel/,
    );
  });
});

describe('parseStackFlags', () => {
  it('has the defaults of a full stack and reads every flag', () => {
    expect(parseStackFlags([])).toEqual({
      fresh: false,
      dataNodes: 3,
      gateways: 2,
      worker: true,
      monitors: 1,
      redis: 'single',
      quiet: false,
      rawLogs: false,
    });
    expect(
      parseStackFlags([
        '--fresh',
        '--data-nodes',
        '5',
        '--gateways',
        '1',
        '--no-worker',
        '--monitors',
        '2',
        '--quiet',
        '--redis',
        'sentinel',
      ]),
    ).toEqual({
      fresh: true,
      dataNodes: 5,
      gateways: 1,
      worker: false,
      monitors: 2,
      redis: 'sentinel',
      quiet: true,
      rawLogs: false,
    });
  });
});
