import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRedoubtError } from '@redoubt/errors';
import { partitionDir } from './backup-catalog.js';
import { backupPartition } from './backup-partition.js';
import { directoryTarget, type BackupTarget } from './backup-targets.js';
import { canonicalJson } from './manifest.js';
import { planRestore, restoreCandidates, restorePartitions } from './restore-partition.js';
import { verifyTargets } from './verify-backups.js';
import { keysInPartition, TestCluster } from './testing/test-cluster.js';

/**
 * Tampering with a target (issue 16, item 6): what someone who can write to a backup target but holds
 * no key can do, against real data nodes and real files.
 */
const P = 4;
const KEY = randomBytes(32);
const SIGNING = { key: randomBytes(32) };
let cluster: TestCluster;
let scratch: string;

beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 2, partitions: P, replicas: 2 });
  scratch = await mkdtemp(join(tmpdir(), 'redoubt-backup-tamper-'));
}, 180_000);
afterAll(async () => {
  await cluster?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 180_000);

/** Every test seeds its own partition: cluster.empty() in another test wipes every partition. */
async function seed(partition: number): Promise<void> {
  await cluster.writeAll(
    keysInPartition(partition, P, 30, 'tamper').map((k) => cluster.record(k, `value of ${k}`)),
  );
}

function targets(name: string): BackupTarget[] {
  return ['t1', 't2'].map((id) => directoryTarget(id, join(scratch, name, id)));
}

async function backup(
  ts: BackupTarget[],
  partition: number,
  key: Buffer | undefined,
  kind: 'full' | 'auto' | 'incremental' = 'full',
) {
  const out = [];
  for (const target of ts)
    out.push(
      await backupPartition({
        partition,
        partitions: P,
        target,
        replicas: cluster.map.replicasOf(partition),
        kind,
        key,
        signing: SIGNING,
        compression: { codec: 'none', level: 0 },
        overlapMs: 0, // exact record counts in incrementals
      }),
    );
  return out;
}

async function restore(ts: BackupTarget[], partition: number, key: Buffer | undefined) {
  const plan = await planRestore(ts, [partition], SIGNING);
  return restorePartitions({
    plan,
    targets: ts,
    partitions: P,
    replicasOf: (p) => cluster.map.replicasOf(p),
    key,
    signing: SIGNING,
  });
}

async function recordsOf(partition: number): Promise<number> {
  return (await cluster.map.replicasOf(partition)[0]!.digest(partition)).records;
}

/** An attacker's edit: a field changed and the SHA-256 checksum recomputed; no key to redo the MAC. */
async function forge(file: string): Promise<void> {
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const { checksum: _c, mac, ...body } = manifest;
  const edited = { ...body, source: { ...(body.source as object), node: 'forged' } };
  const checksum = createHash('sha256').update(canonicalJson(edited)).digest('hex');
  await writeFile(file, JSON.stringify({ ...edited, checksum, mac }));
}

describe('tamper-evident, encrypted backups', () => {
  it('restores from the other copy when one target holds a forged manifest, and refuses when both do', async () => {
    const ts = targets('forged');
    await seed(1);
    const written = await backup(ts, 1, KEY);
    const files = written.map((w, i) => join(partitionDir(ts[i]!, 1), w.manifest.id, 'manifest.json'));
    await forge(files[0]!);

    await cluster.empty();
    const fallback = await restore(ts, 1, KEY);
    expect(fallback.ok).toBe(true);
    expect(fallback.partitions[0]!.target).toBe('t2');
    expect(fallback.partitions[0]!.problems).toEqual([
      expect.objectContaining({ code: 'BACKUP_MANIFEST_UNAUTHENTIC', file: files[0] }),
    ]);
    expect(await recordsOf(1)).toBe(30);
    const verify = await verifyTargets(ts, { signing: SIGNING, key: KEY, partitions: [1] });
    expect(verify.problems.map((p) => [p.code, p.file])).toEqual([['BACKUP_MANIFEST_UNAUTHENTIC', files[0]]]);

    await forge(files[1]!);
    await cluster.empty();
    const refused = await restore(ts, 1, KEY);
    expect(refused.ok).toBe(false);
    expect(refused.partitions[0]!.error?.code).toBe('BACKUP_MANIFEST_UNAUTHENTIC');
    expect(files.some((f) => refused.partitions[0]!.error!.message.includes(f))).toBe(true);
    expect(await recordsOf(1)).toBe(0); // nothing of it reached the cluster
  });

  it('refuses a plaintext backup when a key is configured: on restore, verify, and as an incremental parent', async () => {
    const ts = targets('plaintext');
    await seed(2);
    await backup(ts, 2, undefined);
    await cluster.empty();

    const refused = await restore(ts, 2, KEY);
    expect(refused.ok).toBe(false);
    expect(refused.partitions[0]!.error?.code).toBe('BACKUP_NOT_ENCRYPTED');
    expect(refused.partitions[0]!.error?.message).toMatch(/manifest\.json.*not encrypted/);
    expect(await recordsOf(2)).toBe(0);

    const verify = await verifyTargets(ts, { signing: SIGNING, key: KEY, partitions: [2] });
    expect(verify.ok).toBe(false);
    expect(verify.problems.every((p) => p.code === 'BACKUP_NOT_ENCRYPTED')).toBe(true);
    expect(verify.problems).toHaveLength(2);

    const error = await backup(ts.slice(0, 1), 2, KEY, 'incremental').catch((e: unknown) => e);
    expect(isRedoubtError(error, 'BACKUP_NOT_ENCRYPTED')).toBe(true);
    // `auto` (the schedule) starts a new encrypted chain instead of building on the plaintext one.
    const [auto] = await backup(ts.slice(0, 1), 2, KEY, 'auto');
    expect(auto!.manifest).toMatchObject({ kind: 'full', encryption: { algorithm: 'aes-256-gcm' } });

    // Without a key the plaintext backup still restores (nothing configured says otherwise).
    expect((await restore(ts.slice(1), 2, undefined)).ok).toBe(true);
    expect(await recordsOf(2)).toBe(30);
  });

  it('round-trips an encrypted, signed backup with its incremental, and names the key check on a wrong key', async () => {
    const ts = targets('roundtrip');
    await seed(3);
    await backup(ts, 3, KEY);
    const extra = keysInPartition(3, P, 5, 'later').map((k) => cluster.record(k, `later ${k}`));
    await cluster.writeAll(extra);
    const [incr] = await backup(ts, 3, KEY, 'auto');
    expect(incr!.manifest).toMatchObject({ kind: 'incremental', formatVersion: 2, records: 5 });
    expect(incr!.manifest.mac?.algorithm).toBe('hmac-sha256');

    await cluster.empty();
    const wrong = await restore(ts, 3, randomBytes(32));
    expect(wrong.partitions[0]!.error?.code).toBe('BACKUP_KEY_INVALID');
    expect(wrong.partitions[0]!.error?.message).toMatch(
      /another key .*key check is [0-9a-f]{32}, this key's is [0-9a-f]{32}/,
    );
    expect(await recordsOf(3)).toBe(0);

    const ok = await restore(ts, 3, KEY);
    expect(ok.ok).toBe(true);
    expect(await recordsOf(3)).toBe(35);
    for (const record of extra) expect((await cluster.read(record.key))?.version).toBe(record.version);
    const { candidates } = await restoreCandidates(ts, 3, SIGNING);
    expect(candidates.map((c) => c.chain.length)).toEqual([2, 2]);
  });
});
