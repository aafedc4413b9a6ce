import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RedoubtError } from '@redoubt/errors';
import { isValidVersion } from '@redoubt/records';
import type { BackupStore } from './backup-store.js';

export const MANIFEST_FORMAT = 'redoubt.backup';
/**
 * 2: signed (an HMAC-SHA-256 `mac`, manifest-mac.ts) and, when encrypted, chunked segments
 * (segment-crypto.ts). 1: before that; read only under BACKUP_ACCEPT_UNSIGNED=true (migration).
 */
export const MANIFEST_VERSION = 2;
export const MANIFEST_FILE = 'manifest.json';

const version = z.string().refine(isValidVersion, 'malformed version');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const id = z.string().regex(/^[0-9A-Za-z_-]{1,128}$/);

const segmentSchema = z.object({
  name: z.string().regex(/^seg-\d{6}\.rbk$/),
  records: z.number().int().min(0),
  rawBytes: z.number().int().min(0),
  bytes: z.number().int().min(0),
  sha256,
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  formatVersion: z.union([z.literal(1), z.literal(MANIFEST_VERSION)]),
  id,
  partition: z.number().int().min(0),
  /** P of the cluster it was taken from: a backup only restores into a cluster with the same P. */
  partitions: z.number().int().min(1),
  target: z.string().min(1),
  kind: z.enum(['full', 'incremental']),
  /** The full backup this one builds on (its own id for a full). */
  base: id,
  /** The backup immediately before this one in the chain (null for a full). */
  parent: id.nullable(),
  /** Records newer than this were asked for (null for a full). */
  since: version.nullable(),
  /**
   * Every record this chain holds up to here has a version <= watermark: the newest version seen in this
   * backup (or the parent's watermark when nothing newer was seen). Restoring "at" a version picks the
   * chain up to the last backup whose watermark is <= it.
   */
  watermark: version,
  /** Wall clock (ms) when the scan of the replica began: the point in time this backup reflects. */
  startedAt: z.number().int().min(0),
  finishedAt: z.number().int().min(0),
  /** The replica read, and its digest root at the start (unchanged root: nothing to back up). */
  source: z.object({ node: z.string(), root: z.string(), records: z.number().int().min(0) }),
  /** Who asked for it: the job id, `cli`, `bench`... (a retried job finds its finished backup by it). */
  origin: z.string().max(256).nullable(),
  /** Records the source node skipped because they failed their checksum (scrub repairs them). */
  skippedCorrupt: z.number().int().min(0),
  records: z.number().int().min(0),
  tombstones: z.number().int().min(0),
  rawBytes: z.number().int().min(0),
  bytes: z.number().int().min(0),
  compression: z.object({ codec: z.enum(['brotli', 'gzip', 'deflate', 'none']), level: z.number().int() }),
  encryption: z
    .object({ algorithm: z.literal('aes-256-gcm'), keyCheck: z.string().regex(/^[0-9a-f]{32}$/) })
    .nullable(),
  segments: z.array(segmentSchema),
  /** SHA-256 of the canonical JSON of every field but itself and `mac`: catches a damaged manifest. */
  checksum: sha256,
  /**
   * HMAC-SHA-256 of the same canonical JSON under the backup signing key, which never sits on a target:
   * what makes an edited or forged manifest detectable (manifest-mac.ts). Required from format 2 on.
   */
  mac: z
    .object({
      algorithm: z.literal('hmac-sha256'),
      keyId: z.string().regex(/^[0-9a-f]{32}$/),
      value: sha256,
    })
    .optional(),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type ManifestBody = Omit<BackupManifest, 'checksum' | 'mac'>;

/** JSON with object keys sorted at every level: the same object always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function manifestChecksum(body: ManifestBody): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export function sealManifest(body: ManifestBody): BackupManifest {
  return { ...body, checksum: manifestChecksum(body) };
}

export function serializeManifest(manifest: BackupManifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

/**
 * Parses and checks a manifest: shape, checksum, internal consistency (totals equal the segments' sums,
 * a full is its own base) and, when given, where it was found (its directory names partition and id).
 */
export function parseManifest(
  text: string,
  file: string,
  expected: { partition?: number; id?: string; target?: string } = {},
): BackupManifest {
  const invalid = (what: string) =>
    new RedoubtError('BACKUP_MANIFEST_INVALID', `manifest ${file}: ${what}`, { file });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('is not valid JSON');
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const manifest = parsed.data;
  const { checksum, mac: _mac, ...body } = manifest; // the mac is checked by authenticateManifest
  if (manifestChecksum(body) !== checksum) throw invalid('failed its checksum (damaged or edited)');
  const sum = (f: 'records' | 'rawBytes' | 'bytes') => manifest.segments.reduce((n, s) => n + s[f], 0);
  if (
    sum('records') !== manifest.records ||
    sum('rawBytes') !== manifest.rawBytes ||
    sum('bytes') !== manifest.bytes
  ) {
    throw invalid('its totals do not match its segments');
  }
  if (manifest.segments.some((s, i) => s.name !== `seg-${String(i).padStart(6, '0')}.rbk`)) {
    throw invalid('its segments are not numbered 0..n-1');
  }
  if (
    manifest.kind === 'full' &&
    (manifest.base !== manifest.id || manifest.parent !== null || manifest.since !== null)
  ) {
    throw invalid('a full backup must be its own base, without parent or since');
  }
  if (manifest.kind === 'incremental' && (manifest.parent === null || manifest.since === null)) {
    throw invalid('an incremental backup needs a parent and a since version');
  }
  if (manifest.partition >= manifest.partitions)
    throw invalid('its partition is outside its partition count');
  if (expected.partition !== undefined && manifest.partition !== expected.partition) {
    throw invalid(
      `it describes partition ${manifest.partition} but sits in the folder of partition ${expected.partition}`,
    );
  }
  if (expected.id !== undefined && manifest.id !== expected.id) {
    throw invalid(`it describes backup ${manifest.id} but sits in the folder of ${expected.id}`);
  }
  if (expected.target !== undefined && manifest.target !== expected.target) {
    throw invalid(`it was written to target ${manifest.target}, not ${expected.target}`);
  }
  return manifest;
}

/** Reads and checks the manifest at `key` of a store; errors name it as the store describes it. */
export async function readManifest(
  store: BackupStore,
  key: string,
  expected: { partition?: number; id?: string; target?: string } = {},
): Promise<BackupManifest> {
  const text = await store.get(key);
  return parseManifest(text.toString('utf8'), store.describe(key), expected);
}
