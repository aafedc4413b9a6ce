import { describe, expect, it } from 'vitest';
import { isRedoubtError } from '@redoubt/errors';
import { replicasOf } from '@redoubt/placement';
import { backupMatrix, formatBackupTargets, parseBackupTargets } from './backup-targets.js';
import { loadBackupSettings } from './backup-settings.js';
import { deriveSigningKey } from './manifest-mac.js';
import { parseCompression } from './compression.js';
import { keyCheckOf, parseEncryptionKey } from './encryption-key.js';
import { parsePointInTime, versionCeilingAt } from './version-bounds.js';

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isRedoubtError(error, 'CONFIG_INVALID') || isRedoubtError(error, 'INVALID_ARGUMENT')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('backup settings', () => {
  it('parses BACKUP_TARGETS and refuses relative paths, duplicates and garbage', () => {
    const targets = parseBackupTargets(' t1=/b/one/, t2=/b/two ');
    expect(targets.map((t) => ({ id: t.id, location: t.location, kind: t.store.kind }))).toEqual([
      { id: 't1', location: '/b/one', kind: 'directory' },
      { id: 't2', location: '/b/two', kind: 'directory' },
    ]);
    expect(targets[0]!.store.describe('partitions/00001/x/manifest.json')).toBe(
      '/b/one/partitions/00001/x/manifest.json',
    );
    expect(formatBackupTargets(targets)).toBe('t1=/b/one,t2=/b/two');
    expect(configError(() => parseBackupTargets('t1=relative/path'))).toMatch(
      /BACKUP_TARGETS: target t1: "relative\/path" is neither an absolute directory/,
    );
    // s3:// needs the opener of @redoubt/backup-stores; the default one names the problem.
    expect(configError(() => parseBackupTargets('t1=s3://bucket/prefix'))).toMatch(/t1.*s3:\/\/bucket/);
    expect(configError(() => parseBackupTargets('=/x'))).toMatch(/not id=\/absolute\/path or id=s3:/);
    expect(configError(() => parseBackupTargets('t1=/a,t1=/b'))).toMatch(/twice/);
    expect(configError(() => parseBackupTargets('t1=/a,t2=/a'))).toMatch(/share/);
    expect(configError(() => parseBackupTargets(','))).toMatch(/no backup target/);
  });

  it('builds the backup matrix B over the targets: `copies` distinct targets per partition, balanced', () => {
    const targets = parseBackupTargets('t1=/1,t2=/2,t3=/3');
    const matrix = backupMatrix(targets, 4096, 2);
    const load = new Map<string, number>();
    for (let p = 0; p < 4096; p++) {
      const row = replicasOf(matrix, p);
      expect(new Set(row).size).toBe(2);
      for (const t of row) load.set(t, (load.get(t) ?? 0) + 1);
    }
    for (const n of load.values()) expect(Math.abs(n - (4096 * 2) / 3)).toBeLessThanOrEqual(2);
    expect(backupMatrix(targets.slice(0, 1), 16, 2).replicas).toBe(1); // capped at the number of targets
  });

  it('takes a 32-byte key as hex or base64 and refuses anything else', () => {
    const hex = 'ab'.repeat(32);
    expect(parseEncryptionKey(hex)).toEqual(Buffer.alloc(32, 0xab));
    expect(parseEncryptionKey(Buffer.alloc(32, 0xab).toString('base64'))).toEqual(Buffer.alloc(32, 0xab));
    expect(configError(() => parseEncryptionKey('too-short'))).toMatch(/32 bytes/);
    expect(configError(() => parseEncryptionKey('ab'.repeat(31)))).toMatch(/32 bytes/);
    expect(keyCheckOf(Buffer.alloc(32, 1))).not.toBe(keyCheckOf(Buffer.alloc(32, 2)));
  });

  it('parses compression choices', () => {
    expect(parseCompression('brotli:1')).toEqual({ codec: 'brotli', level: 1 });
    expect(parseCompression('gzip')).toEqual({ codec: 'gzip', level: 1 });
    expect(parseCompression('none')).toEqual({ codec: 'none', level: 0 });
    expect(configError(() => parseCompression('zstd:3'))).toMatch(/unknown codec/);
    expect(configError(() => parseCompression('gzip:12'))).toMatch(/1\.\.9/);
  });

  it('loads the environment with defaults, and names a wrong variable', () => {
    const settings = loadBackupSettings({
      BACKUP_TARGETS: 't1=/x',
      BACKUP_ENCRYPTION_KEY: 'cd'.repeat(32),
      BACKUP_KEEP_LAST: '5',
    });
    expect(settings).toMatchObject({
      copies: 2,
      compression: { codec: 'brotli', level: 1 },
      retention: { keepLast: 5, keepDaily: 7 },
    });
    expect(settings.key).toEqual(Buffer.alloc(32, 0xcd));
    // No signing key of its own: derived from the encryption key (HKDF), never equal to it.
    expect(settings.signing).toMatchObject({ key: deriveSigningKey(settings.key!), acceptUnsigned: false });
    expect(settings.signing.key.equals(settings.key!)).toBe(false);
    expect(
      loadBackupSettings(
        {},
        { BACKUP_TARGETS: 't9=/default', BACKUP_SIGNING_KEY: 'ab'.repeat(32) },
      ).targets.map((t) => t.location),
    ).toEqual(['/default']);
    expect(configError(() => loadBackupSettings({ BACKUP_TARGETS: 't1=/x', BACKUP_COPIES: '0' }))).toMatch(
      /BACKUP_COPIES/,
    );
    expect(configError(() => loadBackupSettings({}))).toMatch(/BACKUP_TARGETS/);
    expect(
      configError(() => loadBackupSettings({ BACKUP_TARGETS: 't1=/x', BACKUP_ENCRYPTION_KEY: 'nope' })),
    ).toMatch(/BACKUP_ENCRYPTION_KEY/);
  });

  it('requires a signing key (or an encryption key to derive one from), and takes the migration flag', () => {
    expect(configError(() => loadBackupSettings({ BACKUP_TARGETS: 't1=/x' }))).toMatch(/BACKUP_SIGNING_KEY/);
    expect(
      configError(() => loadBackupSettings({ BACKUP_TARGETS: 't1=/x', BACKUP_SIGNING_KEY: 'short' })),
    ).toMatch(/BACKUP_SIGNING_KEY must be 32 bytes/);
    const settings = loadBackupSettings({
      BACKUP_TARGETS: 't1=/x',
      BACKUP_SIGNING_KEY: 'ab'.repeat(32),
      BACKUP_ACCEPT_UNSIGNED: 'true',
    });
    expect(settings.key).toBeUndefined();
    expect(settings.signing).toMatchObject({ key: Buffer.alloc(32, 0xab), acceptUnsigned: true });
  });

  it('reads a point in time as a version, an ISO date or epoch milliseconds', () => {
    expect(parsePointInTime('01a1fd5e2ef2.0008.gw1')).toBe('01a1fd5e2ef2.0008.gw1');
    const ms = Date.parse('2026-11-21T09:00:00.000Z');
    expect(parsePointInTime('2026-11-21T09:00:00.000Z')).toBe(versionCeilingAt(ms));
    expect(parsePointInTime(String(ms))).toBe(versionCeilingAt(ms));
    expect(
      versionCeilingAt(ms) > '01a1fd5e2ef2.0008.gw1' || versionCeilingAt(ms) < '01a1fd5e2ef2.0008.gw1',
    ).toBe(true);
    expect(configError(() => parsePointInTime('yesterday'))).toMatch(/--at/);
  });
});
