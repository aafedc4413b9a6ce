import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupDir, listPartitionBackups } from './backup-catalog.js';
import { directoryTarget, type BackupTarget } from './backup-targets.js';
import { canonicalJson, sealManifest, type BackupManifest } from './manifest.js';
import { signManifest } from './manifest-mac.js';
import { fakeManifest, TEST_SIGNING } from './testing/manifests.js';

let root: string;
let target: BackupTarget;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'redoubt-manifest-mac-'));
  target = directoryTarget('t1', root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function place(manifest: BackupManifest | Record<string, unknown>, id: string): Promise<string> {
  const dir = backupDir(target, 0, id);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'manifest.json');
  await writeFile(file, JSON.stringify(manifest, null, 2));
  return file;
}

/** What listing says about the backup `id`: complete, or the error code and message it was refused with. */
async function verdict(id: string, signing = TEST_SIGNING) {
  const listing = await listPartitionBackups(target, 0, signing);
  if (listing.complete.some((b) => b.id === id)) return { ok: true as const };
  const invalid = listing.invalid.find((i) => i.id === id)!;
  return { ok: false as const, code: invalid.error.code, message: invalid.error.message };
}

describe('signed manifests', () => {
  it('accepts a manifest signed with the signing key', async () => {
    await place(fakeManifest({ id: 'good', startedAt: 1_700_000_000_000 }), 'good');
    expect(await verdict('good')).toEqual({ ok: true });
  });

  it('refuses a forged manifest: a field edited and its SHA-256 checksum recomputed without the key', async () => {
    const real = fakeManifest({ id: 'forged', startedAt: 1_700_000_000_000 });
    const { checksum: _c, mac, ...body } = real;
    const edited = { ...body, watermark: 'ffffffffffff.ffff.gw9', source: { ...body.source, node: 'evil' } };
    // Everything an attacker with write access can do: a fresh checksum, the old (or any) MAC.
    const forged = {
      ...edited,
      checksum: createHash('sha256').update(canonicalJson(edited)).digest('hex'),
      mac,
    };
    const file = await place(forged, 'forged');
    const result = await verdict('forged');
    expect(result).toMatchObject({ ok: false, code: 'BACKUP_MANIFEST_UNAUTHENTIC' });
    expect(result.message).toContain(file);
    expect(result.message).toMatch(/MAC does not verify/);
  });

  it('refuses a manifest signed with another key, saying so', async () => {
    const body = fakeManifest({ id: 'other', startedAt: 1_700_000_000_000 });
    const { checksum: _c, mac: _m, ...rest } = body;
    const file = await place(signManifest(rest, { key: randomBytes(32) }), 'other');
    const result = await verdict('other');
    expect(result).toMatchObject({ ok: false, code: 'BACKUP_MANIFEST_UNAUTHENTIC' });
    expect(result.message).toContain(file);
    expect(result.message).toMatch(/signed with another signing key/);
  });

  it('refuses an unsigned manifest; a format-1 one only passes under BACKUP_ACCEPT_UNSIGNED', async () => {
    const { checksum: _c, mac: _m, ...body } = fakeManifest({ id: 'v1', startedAt: 1_700_000_000_000 });
    const v1 = sealManifest({ ...body, formatVersion: 1 });
    const file = await place(v1, 'v1');
    const refused = await verdict('v1');
    expect(refused).toMatchObject({ ok: false, code: 'BACKUP_MANIFEST_UNAUTHENTIC' });
    expect(refused.message).toContain(file);
    expect(refused.message).toMatch(/BACKUP_ACCEPT_UNSIGNED=true/);
    expect(await verdict('v1', { ...TEST_SIGNING, acceptUnsigned: true })).toEqual({ ok: true });

    // A format-2 manifest stripped of its MAC is never accepted, migration or not.
    const {
      checksum: _c2,
      mac: _m2,
      ...body2
    } = fakeManifest({ id: 'stripped', startedAt: 1_700_000_000_000 });
    await place(sealManifest(body2), 'stripped');
    expect(await verdict('stripped', { ...TEST_SIGNING, acceptUnsigned: true })).toMatchObject({
      ok: false,
      code: 'BACKUP_MANIFEST_UNAUTHENTIC',
    });
  });

  it('binds the manifest to its place: a signed manifest copied into another backup folder is refused', async () => {
    const manifest = fakeManifest({ id: 'moved-from', startedAt: 1_700_000_000_000 });
    await place(manifest, 'moved-to');
    expect(await verdict('moved-to')).toMatchObject({ ok: false, code: 'BACKUP_MANIFEST_INVALID' });
    const file = join(backupDir(target, 0, 'moved-to'), 'manifest.json');
    expect(JSON.parse(await readFile(file, 'utf8')).id).toBe('moved-from');
  });
});
