import { randomBytes } from 'node:crypto';
import { formatVersion } from '@redoubt/records';
import { MANIFEST_VERSION, type BackupManifest } from '../manifest.js';
import { signManifest, type ManifestSigning } from '../manifest-mac.js';

/** The signing key of this test process (random: tests never share a key with anything). */
export const TEST_SIGNING: ManifestSigning = { key: randomBytes(32) };

const DAY = 86_400_000;

/** A valid manifest signed with TEST_SIGNING, for tests of logic over manifests (retention, chains); no files behind it. */
export function fakeManifest(fields: {
  id: string;
  startedAt: number;
  parent?: BackupManifest;
  partition?: number;
  target?: string;
}): BackupManifest {
  const { parent } = fields;
  return signManifest(
    {
      format: 'redoubt.backup',
      formatVersion: MANIFEST_VERSION,
      id: fields.id,
      partition: fields.partition ?? 0,
      partitions: 16,
      target: fields.target ?? 't1',
      kind: parent ? 'incremental' : 'full',
      base: parent ? parent.base : fields.id,
      parent: parent?.id ?? null,
      since: parent ? parent.watermark : null,
      watermark: formatVersion({ wall: fields.startedAt, logical: 0, writer: 'gw1' }),
      startedAt: fields.startedAt,
      finishedAt: fields.startedAt + 1000,
      source: { node: 'd1', root: '0'.repeat(16), records: 0 },
      origin: null,
      skippedCorrupt: 0,
      records: 0,
      tombstones: 0,
      rawBytes: 0,
      bytes: 0,
      compression: { codec: 'brotli', level: 1 },
      encryption: null,
      segments: [],
    },
    TEST_SIGNING,
  );
}

/** Daily fulls with `perDay` incrementals after each, from `start`: the shape the schedule produces. */
export function scheduleHistory(
  days: number,
  perDay: number,
  start = Date.UTC(2026, 0, 1),
): BackupManifest[] {
  const out: BackupManifest[] = [];
  for (let d = 0; d < days; d++) {
    let previous = fakeManifest({ id: `d${d}-full`, startedAt: start + d * DAY });
    out.push(previous);
    for (let i = 1; i <= perDay; i++) {
      previous = fakeManifest({
        id: `d${d}-i${i}`,
        startedAt: start + d * DAY + (i * DAY) / (perDay + 1),
        parent: previous,
      });
      out.push(previous);
    }
  }
  return out;
}
