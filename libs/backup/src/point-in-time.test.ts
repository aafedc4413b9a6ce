import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVersion, HybridClock, parseVersion, type StoredRecord } from '@redoubt/records';
import { backupPartition } from './backup-partition.js';
import { directoryTarget, type BackupTarget } from './backup-targets.js';
import { pointInTimeChain, stateAt } from './point-in-time.js';
import { undoToPointInTime } from './point-in-time-undo.js';
import { applyUndoChanges, versionAbove } from './undo-apply.js';
import { diffAgainstPast, readLivePartition } from './undo-plan.js';
import { versionCeilingAt } from './version-bounds.js';
import { keysInPartition, TestCluster } from './testing/test-cluster.js';

const P = 4;
const KEY = Buffer.alloc(32, 0x24);
const SIGNING = { key: randomBytes(32) };
let cluster: TestCluster;
let scratch: string;

beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 3, partitions: P, replicas: 3 });
  scratch = await mkdtemp(join(tmpdir(), 'redoubt-undo-it-'));
}, 180_000);
afterAll(async () => {
  await cluster?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 180_000);

const pause = (ms = 15) => new Promise((r) => setTimeout(r, ms));
const text = (r: StoredRecord | null | undefined) =>
  r && !r.tombstone ? Buffer.from(r.value).toString() : null;

async function backup(target: BackupTarget, partition: number, kind: 'full' | 'incremental') {
  const result = await backupPartition({
    partition,
    partitions: P,
    target,
    replicas: cluster.map.replicasOf(partition),
    kind,
    key: KEY,
    signing: SIGNING,
    overlapMs: 0,
  });
  expect(result.status).toBe('written');
  await pause();
}

describe('diffAgainstPast', () => {
  const v = (wall: number) => formatVersion({ wall, logical: 0, writer: 'gw' });
  const at = v(100);
  it('overwrites, deletes, brings back, and leaves alone what is as it was at T', () => {
    const past = new Map([
      ['same', cluster.record('same', 'x', v(10))],
      ['over', cluster.record('over', 'old', v(10))],
      ['gone', cluster.record('gone', 'was', v(10))],
      ['dead', cluster.tombstone('dead', v(10))],
    ]);
    const current = new Map([
      ['same', cluster.record('same', 'x', v(10))],
      ['over', cluster.record('over', 'new', v(200))],
      ['gone', cluster.tombstone('gone', v(200))],
      ['dead', cluster.tombstone('dead', v(10))],
      ['born', cluster.record('born', 'late', v(200))],
      ['quiet', cluster.record('quiet', 'before T, after the backup', v(50))],
    ]);
    const diff = diffAgainstPast(past, current, at);
    expect(diff.changes.map((c) => [c.key, c.action])).toEqual([
      ['born', 'delete'],
      ['gone', 'bring-back'],
      ['over', 'overwrite'],
    ]);
    expect(diff.unchanged).toBe(3); // dead, quiet (written before T: already its state at T), same
  });
});

describe('point-in-time undo against real data nodes', () => {
  it('takes the state at T from the backups around T, across a new full after T', async () => {
    const target = directoryTarget('t1', join(scratch, 'bracket'));
    const partition = 1;
    const [k, early, between] = keysInPartition(partition, P, 3, 'bracket');
    await cluster.writeAll([cluster.record(k!, 'v1'), cluster.record(early!, 'e1')]);
    await backup(target, partition, 'full');
    await cluster.writeAll([cluster.record(between!, 'b1')]); // after the first backup, before T
    await pause();
    const at = versionCeilingAt(Date.now());
    await pause();
    await cluster.writeAll([cluster.record(k!, 'v2'), cluster.tombstone(early!)]);
    await backup(target, partition, 'full'); // a new chain after T: only holds v2 and the tombstone
    await cluster.writeAll([cluster.record(k!, 'v3')]);

    const chain = await pointInTimeChain([target], partition, at, {
      key: KEY,
      signing: SIGNING,
      partitions: P,
    });
    expect(chain.after?.kind).toBe('full');
    expect(chain.backups).toHaveLength(2);
    expect(chain.gapMs).toBe(0);
    const state = await stateAt(chain, { key: KEY });
    expect(text(state.get(k!))).toBe('v1');
    expect(text(state.get(early!))).toBe('e1');
    expect(text(state.get(between!))).toBe('b1'); // seen by the backup after T with a version <= T

    const later = versionCeilingAt(Date.now());
    const beyond = await pointInTimeChain([target], partition, later, {
      key: KEY,
      signing: SIGNING,
      partitions: P,
    });
    expect(beyond.after).toBeNull();
    expect(beyond.gapMs).toBeGreaterThan(0); // backups end before T: said so, not refused
    await expect(
      pointInTimeChain([target], partition, versionCeilingAt(Date.now() - 3_600_000), {
        key: KEY,
        signing: SIGNING,
      }),
    ).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
    await expect(
      pointInTimeChain([target], partition, at, {
        key: Buffer.alloc(32, 1),
        signing: SIGNING,
        partitions: P,
      }),
    ).rejects.toMatchObject({ code: 'BACKUP_KEY_INVALID' });
  });

  it('a write newer than the undo wins; a missing replica is reported per key, W decides', async () => {
    const partition = 2;
    const [slow, lost] = keysInPartition(partition, P, 2, 'race');
    const replicas = cluster.map.replicasOf(partition);
    const set = { partition, epoch: 1, replicas };
    // A client write stamped 30 s ahead (a writer whose clock runs ahead, or one made during the undo).
    const ahead = formatVersion({ wall: Date.now() + 30_000, logical: 0, writer: 'gwfast' });
    await cluster.writeAll([cluster.record(slow!, 'future', ahead)]);
    const clock = new HybridClock('undo-test');
    const stale = cluster.record(slow!, 'current', versionCeilingAt(Date.now() - 1_000));
    const [raced] = await applyUndoChanges(
      [{ key: slow!, action: 'overwrite', current: stale, past: cluster.record(slow!, 'old') }],
      { set, w: 2, clock },
    );
    expect(raced).toMatchObject({ ok: true, superseded: true });
    expect(text(await cluster.read(slow!))).toBe('future');

    const down = cluster.nodes.find((n) => n.id === replicas[2]!.id)!;
    await down.process.stop(10_000);
    try {
      const change = {
        key: lost!,
        action: 'bring-back' as const,
        current: null,
        past: cluster.record(lost!, 'x'),
      };
      const [failed] = await applyUndoChanges([change], { set, w: 3, clock });
      expect(failed).toMatchObject({ ok: false, acked: 2, required: 3, missed: [down.id] });
      expect(failed!.error).toMatch(/^QUORUM_NOT_REACHED: 2 of 3 acks/);
      const [written] = await applyUndoChanges([change], { set, w: 2, clock });
      expect(written).toMatchObject({ ok: true, acked: 2, missed: [down.id] });
      await expect(readLivePartition(replicas, partition, { readQuorum: 3 })).rejects.toMatchObject({
        code: 'REPLICA_UNAVAILABLE',
      });
    } finally {
      await down.process.start();
    }
  });

  it('undoes a partition end to end, writing versions above the current ones; previews write nothing', async () => {
    const target = directoryTarget('t1', join(scratch, 'undo'));
    const partition = 3;
    const [a, b, c] = keysInPartition(partition, P, 3, 'undo');
    await cluster.writeAll([cluster.record(a!, 'a1'), cluster.record(b!, 'b1')]);
    await backup(target, partition, 'full');
    const at = versionCeilingAt(Date.now());
    await pause();
    const overwrite = cluster.record(a!, 'a2');
    await cluster.writeAll([overwrite, cluster.tombstone(b!), cluster.record(c!, 'c1')]);
    const options = {
      scope: { partitions: [partition] },
      at,
      partitions: P,
      targets: [target],
      key: KEY,
      signing: SIGNING,
      replicasOf: (p: number) => cluster.map.replicasOf(p),
      readQuorum: 2,
      writeQuorum: 2,
    };
    const preview = await undoToPointInTime({ ...options, apply: false });
    expect(preview).toMatchObject({
      ok: true,
      applied: null,
      preview: { overwrite: 1, delete: 1, bringBack: 1, bytesToWrite: 4, bytesReplaced: 4 },
    });
    expect(text(await cluster.read(a!))).toBe('a2');
    const done = await undoToPointInTime({ ...options, apply: true });
    expect(done.applied?.writes).toMatchObject({ written: 3, failed: 0, failedPartitions: [] });
    const restored = await cluster.read(a!);
    expect(text(restored)).toBe('a1');
    expect(restored!.version > overwrite.version).toBe(true);
    expect(text(await cluster.read(b!))).toBe('b1');
    expect((await cluster.read(c!))?.tombstone).toBe(true);
  });

  it('steps over a current version far ahead of its clock', () => {
    const clock = new HybridClock('undo-x', () => 1_000);
    const wild = formatVersion({ wall: 10_000_000, logical: 0xffff, writer: 'zzz' });
    const above = versionAbove(clock, wild);
    expect(above > wild).toBe(true);
    expect(parseVersion(above)).toEqual({ wall: 10_000_001, logical: 0, writer: 'undo-x' });
    expect(versionAbove(clock, formatVersion({ wall: 999, logical: 5, writer: 'a' }))).toBe(
      formatVersion({ wall: 1_000, logical: 0, writer: 'undo-x' }),
    );
  });
});
