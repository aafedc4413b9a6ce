import Table from 'cli-table3';
import { listPartitionBackups, partitionsOnTarget, wallOf, type BackupManifest } from '@redoubt/backup';
import { toRedoubtError } from '@redoubt/errors';
import { parsePartitionList, resolveContext } from './cli-context.js';
import type { Output } from './output.js';
import { formatBytes, formatDuration, Progress } from './progress.js';

export interface ListedBackup {
  target: string;
  partition: number;
  id: string;
  kind: 'full' | 'incremental';
  base: string;
  parent: string | null;
  watermark: string;
  /** Wall-clock time of the watermark (ISO), null for an empty partition's zero watermark. */
  watermarkTime: string | null;
  startedAt: string;
  finishedAt: string;
  records: number;
  bytes: number;
  rawBytes: number;
  segments: number;
  encrypted: boolean;
}

export interface BackupListReport {
  ok: boolean;
  /** False when a manifest is damaged or a target unreadable (see invalid). */
  clean: boolean;
  targets: TargetSummary[];
  backups: ListedBackup[];
  incomplete: { target: string; partition: number; id: string }[];
  invalid: { target: string; partition: number; id: string; code: string; message: string }[];
}

export interface TargetSummary {
  id: string;
  location: string;
  /** Partitions with at least one complete backup here. */
  partitions: number;
  backups: number;
  bytes: number;
  /** Start of the newest and of the oldest complete backup here (ISO), null without backups. */
  newest: string | null;
  oldest: string | null;
  /** The stalest partition: the oldest among each partition's newest backup (ISO). */
  stalest: string | null;
  incomplete: number;
  invalid: number;
  error: string | null;
}

function listed(m: BackupManifest): ListedBackup {
  const wall = wallOf(m.watermark);
  return {
    target: m.target,
    partition: m.partition,
    id: m.id,
    kind: m.kind,
    base: m.base,
    parent: m.parent,
    watermark: m.watermark,
    watermarkTime: wall > 0 ? new Date(wall).toISOString() : null,
    startedAt: new Date(m.startedAt).toISOString(),
    finishedAt: new Date(m.finishedAt).toISOString(),
    records: m.records,
    bytes: m.bytes,
    rawBytes: m.rawBytes,
    segments: m.segments.length,
    encrypted: m.encryption !== null,
  };
}

/**
 * `redoubt backup list`: what the targets hold, read from their manifests (no cluster needed). Prints a
 * summary per target by default (partitions covered, newest and oldest backup, bytes, problems); the
 * per-partition table with `--partition`, every backup with `--backups`, everything with `--json`.
 */
export async function backupList(
  options: { partition?: string; backups?: boolean },
  out: Output,
): Promise<BackupListReport> {
  const context = resolveContext();
  const wanted =
    options.partition === undefined ? undefined : parsePartitionList(options.partition, context.partitions);
  const report: BackupListReport = {
    ok: true,
    clean: true,
    targets: [],
    backups: [],
    incomplete: [],
    invalid: [],
  };
  const work: { target: (typeof context.settings.targets)[number]; partition: number }[] = [];
  for (const target of context.settings.targets) {
    const entry: TargetSummary = {
      id: target.id,
      location: target.location,
      partitions: 0,
      backups: 0,
      bytes: 0,
      newest: null,
      oldest: null,
      stalest: null,
      incomplete: 0,
      invalid: 0,
      error: null,
    };
    report.targets.push(entry);
    try {
      const partitions = wanted ?? (await partitionsOnTarget(target));
      for (const partition of partitions) work.push({ target, partition });
    } catch (error) {
      entry.error = toRedoubtError(error).message;
      report.clean = false;
    }
  }
  const progress = new Progress('list', work.length, { enabled: !out.json });
  for (const { target, partition } of work) {
    const entry = report.targets.find((t) => t.id === target.id)!;
    try {
      const listing = await listPartitionBackups(target, partition, context.settings.signing);
      if (listing.complete.length > 0) entry.partitions++;
      let newestHere: string | null = null;
      for (const m of listing.complete) {
        const b = listed(m);
        report.backups.push(b);
        entry.backups++;
        entry.bytes += m.bytes;
        if (!entry.newest || b.startedAt > entry.newest) entry.newest = b.startedAt;
        if (!entry.oldest || b.startedAt < entry.oldest) entry.oldest = b.startedAt;
        if (!newestHere || b.startedAt > newestHere) newestHere = b.startedAt;
      }
      if (newestHere && (!entry.stalest || newestHere < entry.stalest)) entry.stalest = newestHere;
      entry.incomplete += listing.incomplete.length;
      entry.invalid += listing.invalid.length;
      for (const i of listing.incomplete) report.incomplete.push({ target: target.id, partition, id: i.id });
      for (const i of listing.invalid)
        report.invalid.push({
          target: target.id,
          partition,
          id: i.id,
          code: i.error.code,
          message: i.error.message,
        });
    } catch (error) {
      const e = toRedoubtError(error);
      report.invalid.push({ target: target.id, partition, id: '', code: e.code, message: e.message });
      entry.invalid++;
    }
    progress.advance(1);
  }
  progress.stop();
  report.clean = report.clean && report.invalid.length === 0;
  const detailed = options.partition !== undefined || options.backups === true;
  out.result(report, (r) => {
    const now = Date.now();
    const table = new Table({
      // Plain borders and headings when piped or with NO_COLOR (no escape codes in files and logs).
      style: process.stdout.isTTY && !process.env.NO_COLOR ? undefined : { head: [], border: [] },
      head: options.backups
        ? ['partition', 'target', 'backup', 'kind', 'started', 'data up to', 'records', 'size']
        : [
            'partition',
            'target',
            'backups',
            'latest',
            'kind',
            'age',
            'data up to',
            'records (chain)',
            'size (chain)',
          ],
    });
    const byPair = new Map<string, ListedBackup[]>();
    for (const b of r.backups)
      byPair.set(`${b.partition}/${b.target}`, [...(byPair.get(`${b.partition}/${b.target}`) ?? []), b]);
    const keys = [...byPair.keys()].sort(
      (a, b) => Number(a.split('/')[0]) - Number(b.split('/')[0]) || a.localeCompare(b),
    );
    for (const key of keys) {
      const backups = byPair.get(key)!;
      if (options.backups) {
        for (const b of backups)
          table.push([
            b.partition,
            b.target,
            b.id,
            b.kind,
            b.startedAt,
            b.watermarkTime ?? '-',
            b.records,
            formatBytes(b.bytes),
          ]);
        continue;
      }
      const latest = backups[backups.length - 1]!;
      const chain = backups.filter((b) => b.base === latest.base);
      table.push([
        latest.partition,
        latest.target,
        backups.length,
        latest.id,
        latest.kind,
        formatDuration(now - Date.parse(latest.startedAt)),
        latest.watermarkTime ?? '-',
        chain.reduce((n, b) => n + b.records, 0),
        formatBytes(chain.reduce((n, b) => n + b.bytes, 0)),
      ]);
    }
    // By default a summary per target; the per-partition table with --partition (or --backups).
    if (keys.length > 0 && detailed) console.log(table.toString());
    const age = (iso: string | null) => (iso ? `${iso} (${formatDuration(now - Date.parse(iso))} ago)` : '-');
    for (const t of r.targets) {
      if (t.error) {
        console.log(`target ${t.id} (${t.location}): ERROR ${t.error}`);
        continue;
      }
      console.log(
        `target ${t.id} (${t.location}): ${t.partitions} partition(s) covered, ${t.backups} backup(s), ${formatBytes(t.bytes)}`,
      );
      console.log(`  newest backup ${age(t.newest)}; oldest ${age(t.oldest)}`);
      console.log(`  stalest partition's newest backup ${age(t.stalest)}`);
      console.log(
        `  problems: ${t.invalid === 0 && t.incomplete === 0 ? 'none' : `${t.invalid} invalid, ${t.incomplete} incomplete`}`,
      );
    }
    if (!detailed)
      console.log('(per partition: --partition 0-15,42; every backup: --backups; all of it: --json)');
    if (r.incomplete.length > 0)
      console.log(
        `${r.incomplete.length} incomplete backup folder(s) (running, or interrupted: retention removes them)`,
      );
    for (const i of r.invalid)
      console.log(`  INVALID ${i.target} partition ${i.partition} ${i.id}: ${i.code}: ${i.message}`);
  });
  return report;
}
