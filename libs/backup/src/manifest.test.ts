import { describe, expect, it } from 'vitest';
import { isRedoubtError } from '@redoubt/errors';
import { canonicalJson, parseManifest, sealManifest, serializeManifest } from './manifest.js';
import { fakeManifest } from './testing/manifests.js';

function parseError(text: string, expected = {}): string {
  try {
    parseManifest(text, '/t/partitions/00000/x/manifest.json', expected);
  } catch (error) {
    expect(isRedoubtError(error, 'BACKUP_MANIFEST_INVALID')).toBe(true);
    expect((error as Error).message).toContain('/t/partitions/00000/x/manifest.json');
    return (error as Error).message;
  }
  throw new Error('parsed');
}

describe('manifest', () => {
  it('round-trips through its JSON form and checks its own checksum', () => {
    const full = fakeManifest({ id: 'full-1', startedAt: 1_700_000_000_000 });
    const incr = fakeManifest({ id: 'incr-1', startedAt: 1_700_000_060_000, parent: full });
    for (const m of [full, incr]) {
      expect(parseManifest(serializeManifest(m), 'm.json', { partition: 0, id: m.id, target: 't1' })).toEqual(
        m,
      );
    }
  });

  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
  });

  it('refuses an edited manifest, broken JSON, wrong shape and inconsistent totals', () => {
    const m = fakeManifest({ id: 'full-1', startedAt: 1_700_000_000_000 });
    expect(parseError(serializeManifest({ ...m, records: 5 }))).toMatch(/checksum/);
    expect(parseError('{"format":')).toMatch(/not valid JSON/);
    expect(parseError(JSON.stringify({ ...m, kind: 'weekly' }))).toMatch(/kind/);
    const { checksum: _c, mac: _m, ...body } = m;
    expect(parseError(serializeManifest(sealManifest({ ...body, records: 3 })))).toMatch(/totals/);
    expect(parseError(serializeManifest(sealManifest({ ...body, parent: 'other' })))).toMatch(/own base/);
  });

  it('refuses a manifest found in the folder of another partition, backup or target', () => {
    const m = serializeManifest(fakeManifest({ id: 'full-1', startedAt: 1_700_000_000_000, partition: 3 }));
    expect(parseError(m, { partition: 4 })).toMatch(/partition 3 .* partition 4/);
    expect(parseError(m, { id: 'full-2' })).toMatch(/full-1/);
    expect(parseError(m, { target: 't2' })).toMatch(/target t1/);
  });
});
