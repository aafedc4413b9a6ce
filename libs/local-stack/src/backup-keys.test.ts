import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureBackupKeys } from './backup-keys.js';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-backup-keys-'));
  homes.push(dir);
  return dir;
}

describe('backup keys of a local stack', () => {
  it('creates two independent random keys once, mode 0600, and returns the same ones on every later start', () => {
    const dir = home();
    const first = ensureBackupKeys(dir);
    expect(first.env.BACKUP_ENCRYPTION_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(first.env.BACKUP_SIGNING_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(first.env.BACKUP_SIGNING_KEY).not.toBe(first.env.BACKUP_ENCRYPTION_KEY);
    for (const file of Object.values(first.files)) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureBackupKeys(dir)).toEqual(first);
    expect(ensureBackupKeys(home()).env).not.toEqual(first.env); // another home, other keys
  });

  it('never replaces a key that is there, and tightens its mode', () => {
    const dir = home();
    const mine = 'ab'.repeat(32);
    writeFileSync(join(dir, 'backup.key'), `${mine}\n`);
    chmodSync(join(dir, 'backup.key'), 0o644);
    const keys = ensureBackupKeys(dir);
    expect(keys.env.BACKUP_ENCRYPTION_KEY).toBe(mine);
    expect(readFileSync(keys.files.encryption, 'utf8').trim()).toBe(mine);
    expect(statSync(keys.files.encryption).mode & 0o777).toBe(0o600);
  });
});
