import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRedoubtError } from '@redoubt/errors';
import { resolveMonitorTarget } from './monitor-target.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function checkout(monitorState = 'running'): string {
  const root = mkdtempSync(join(tmpdir(), 'redoubt-cli-'));
  dirs.push(root);
  mkdirSync(join(root, '.redoubt'));
  mkdirSync(join(root, 'apps', 'cli'), { recursive: true });
  const stack = {
    version: 1,
    home: join(root, '.redoubt'),
    state: 'running',
    keys: { apiKey: 'a'.repeat(16), adminKey: 'stack-admin-key-0123456789', clusterToken: 'c'.repeat(16) },
    processes: [
      { name: 'data-1', role: 'data', id: 'd1', state: 'running', url: 'http://127.0.0.1:7101' },
      { name: 'monitor-1', role: 'monitor', id: 'm1', state: monitorState, url: 'http://127.0.0.1:7070' },
    ],
  };
  writeFileSync(join(root, '.redoubt', 'stack.json'), JSON.stringify(stack));
  return root;
}

describe('resolveMonitorTarget', () => {
  it('takes flags first, then the environment', () => {
    const env = { REDOUBT_MONITOR_URL: 'http://env:1/', REDOUBT_ADMIN_KEY: 'env-admin-key-0123456789' };
    expect(resolveMonitorTarget({}, env, tmpdir())).toMatchObject({
      url: 'http://env:1',
      adminKey: env.REDOUBT_ADMIN_KEY,
    });
    expect(
      resolveMonitorTarget({ monitor: 'http://flag:2', adminKey: 'flag-key' }, env, tmpdir()),
    ).toMatchObject({
      url: 'http://flag:2',
      adminKey: 'flag-key',
      source: '--monitor',
    });
  });

  it('finds the running local stack from any folder of the checkout', () => {
    const root = checkout();
    const target = resolveMonitorTarget({}, {}, join(root, 'apps', 'cli'));
    expect(target).toMatchObject({ url: 'http://127.0.0.1:7070', adminKey: 'stack-admin-key-0123456789' });
    expect(target.source).toBe(join(root, '.redoubt', 'stack.json'));
  });

  it('honours REDOUBT_HOME and lets the environment override parts of the stack file', () => {
    const root = checkout();
    const target = resolveMonitorTarget(
      {},
      { REDOUBT_HOME: join(root, '.redoubt'), REDOUBT_MONITOR_URL: 'http://other:3' },
      tmpdir(),
    );
    expect(target).toMatchObject({ url: 'http://other:3', adminKey: 'stack-admin-key-0123456789' });
  });

  it('says what to set when nothing is found', () => {
    const empty = mkdtempSync(join(tmpdir(), 'redoubt-cli-empty-'));
    dirs.push(empty);
    try {
      resolveMonitorTarget({}, {}, empty);
      expect.unreachable();
    } catch (error) {
      expect(isRedoubtError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(/REDOUBT_MONITOR_URL/);
    }
  });
});
