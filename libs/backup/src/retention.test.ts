import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backupDir, chainOf, listPartitionBackups, manifestKey, partitionDir } from './backup-catalog.js';
import { directoryTarget } from './backup-targets.js';
import { serializeManifest, type BackupManifest } from './manifest.js';
import { decideRetention, pruneBackups } from './retention.js';
import { fakeManifest, scheduleHistory, TEST_SIGNING } from './testing/manifests.js';

const DAY = 86_400_000;

/** Random histories: fulls and incrementals on random parents, times increasing. */
const histories = fc
  .array(
    fc.record({ full: fc.boolean(), parentBack: fc.nat(5), gap: fc.integer({ min: 1, max: DAY / 2 }) }),
    { minLength: 1, maxLength: 60 },
  )
  .map((steps) => {
    const out: BackupManifest[] = [];
    let t = Date.UTC(2026, 0, 1);
    steps.forEach((step, i) => {
      t += step.gap;
      const parent =
        step.full || out.length === 0 ? undefined : out[Math.max(0, out.length - 1 - step.parentBack)];
      out.push(fakeManifest({ id: `b${String(i).padStart(3, '0')}`, startedAt: t, parent }));
    });
    return out;
  });

describe('retention', () => {
  it('keeps every base and parent of what it keeps, the newest N, and the newest of each of the last D days', () => {
    fc.assert(
      fc.property(histories, fc.integer({ min: 1, max: 10 }), fc.nat(5), (backups, keepLast, keepDaily) => {
        const { keep, prune } = decideRetention(backups, { keepLast, keepDaily });
        expect(keep.length + prune.length).toBe(backups.length);
        const kept = new Set(keep.map((b) => b.id));
        // Whatever survives can be restored: its whole chain survives (no incremental without its base).
        for (const b of keep) for (const link of chainOf(keep, b)) expect(kept.has(link.id)).toBe(true);
        const newestFirst = [...backups].sort((a, b) => b.startedAt - a.startedAt);
        for (const b of newestFirst.slice(0, keepLast)) expect(kept.has(b.id)).toBe(true);
        const days = [
          ...new Set(newestFirst.map((b) => new Date(b.startedAt).toISOString().slice(0, 10))),
        ].slice(0, keepDaily);
        for (const day of days) {
          const newestOfDay = newestFirst.find(
            (b) => new Date(b.startedAt).toISOString().slice(0, 10) === day,
          )!;
          expect(kept.has(newestOfDay.id)).toBe(true);
        }
        // Nothing else is kept.
        const wanted = new Set(
          [
            ...newestFirst.slice(0, keepLast),
            ...days.map((d) =>
              newestFirst.find((b) => new Date(b.startedAt).toISOString().slice(0, 10) === d)!,
            ),
          ].flatMap((b) => chainOf(backups, b).map((l) => l.id)),
        );
        expect(kept).toEqual(wanted);
      }),
      { numRuns: 300 },
    );
  });

  it('on the scheduled shape keeps the last day whole and one chain per older day', () => {
    const history = scheduleHistory(10, 23);
    const { keep } = decideRetention(history, { keepLast: 5, keepDaily: 3 });
    // newest 5 (the last day's tail) + its chain back to that day's full; day 8 and 7: their last incremental and its chain.
    expect(keep.map((b) => b.id).sort()).toEqual(
      [
        ...Array.from({ length: 24 }, (_, i) => (i === 0 ? 'd9-full' : `d9-i${i}`)),
        ...Array.from({ length: 24 }, (_, i) => (i === 0 ? 'd8-full' : `d8-i${i}`)),
        ...Array.from({ length: 24 }, (_, i) => (i === 0 ? 'd7-full' : `d7-i${i}`)),
      ].sort(),
    );
  });

  it('keeps the parent of a backup still being written, so that it can complete', async () => {
    const root = await mkdtemp(join(tmpdir(), 'redoubt-retention-'));
    try {
      const target = directoryTarget('t1', root);
      const history = scheduleHistory(3, 1, Date.now() - 3 * DAY); // d0-full, d0-i1 ... d2-full, d2-i1
      for (const m of history) {
        await mkdir(backupDir(target, 0, m.id), { recursive: true });
        await target.store.put(manifestKey(0, m.id), serializeManifest(m));
      }
      // An incremental on top of d0-i1 started (say on a slow worker) before d1 and d2 were taken.
      const running = join(partitionDir(target, 0), 'in-progress');
      await mkdir(running);
      await writeFile(join(running, '.parent'), 'd0-i1\n');
      const result = await pruneBackups(target, 0, TEST_SIGNING, { keepLast: 1, keepDaily: 0 });
      expect(result.pruned).toEqual(['d1-i1', 'd1-full']);
      expect(result.removedIncomplete).toEqual([]);
      expect((await listPartitionBackups(target, 0, TEST_SIGNING)).complete.map((b) => b.id)).toEqual([
        'd0-full',
        'd0-i1',
        'd2-full',
        'd2-i1',
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('prunes on disk newest first and removes interrupted backups only after the grace period', async () => {
    const root = await mkdtemp(join(tmpdir(), 'redoubt-retention-'));
    try {
      const target = directoryTarget('t1', root);
      const history = scheduleHistory(3, 2, Date.now() - 3 * DAY);
      for (const m of history) {
        await mkdir(backupDir(target, 0, m.id), { recursive: true });
        await target.store.put(manifestKey(0, m.id), serializeManifest(m));
      }
      const stale = join(partitionDir(target, 0), 'crashed-long-ago');
      const fresh = join(partitionDir(target, 0), 'running-now');
      for (const dir of [stale, fresh]) {
        await mkdir(dir);
        await writeFile(join(dir, 'seg-000000.rbk'), 'x');
      }
      const old = new Date(Date.now() - 2 * 3_600_000);
      await utimes(join(stale, 'seg-000000.rbk'), old, old);
      await utimes(stale, old, old);

      const result = await pruneBackups(target, 0, TEST_SIGNING, {
        keepLast: 2,
        keepDaily: 0,
        incompleteGraceMs: 3_600_000,
      });
      expect(result.pruned).toEqual(['d1-i2', 'd1-i1', 'd1-full', 'd0-i2', 'd0-i1', 'd0-full']);
      expect(result.removedIncomplete).toEqual(['crashed-long-ago']);
      expect((await readdir(partitionDir(target, 0))).sort()).toEqual([
        'd2-full',
        'd2-i1',
        'd2-i2',
        'running-now',
      ]);
      const listing = await listPartitionBackups(target, 0, TEST_SIGNING);
      expect(listing.complete.map((b) => b.id)).toEqual(['d2-full', 'd2-i1', 'd2-i2']);
      expect(listing.incomplete.map((b) => b.id)).toEqual(['running-now']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
