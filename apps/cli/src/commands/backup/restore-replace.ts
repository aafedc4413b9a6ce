import {
  parsePointInTime,
  undoToPointInTime,
  wallOf,
  type UndoCounts,
  type UndoGap,
  type UndoScope,
  type UndoSummary,
} from '@redoubt/backup';
import { RedoubtError } from '@redoubt/errors';
import { isValidVersion } from '@redoubt/records';
import { homePaths, readStackFile } from '@redoubt/local-stack';
import { clusterMapOf, parsePartitionList, resolveContext, type CliContext } from './cli-context.js';
import type { Output } from './output.js';
import { formatBytes, formatDuration, Progress } from './progress.js';

/** The options of `redoubt restore` that point-in-time undo reads (commander fills them). */
export interface ReplaceOptions {
  at?: string;
  replace?: boolean;
  key?: string;
  prefix?: string;
  partition?: string;
  yes?: boolean;
  allowOlder?: boolean;
}

/** True when the command line asks for a point-in-time undo (any of its options): it goes to restoreReplace. */
export function isReplaceRequest(options: ReplaceOptions): boolean {
  return (
    options.replace === true ||
    options.key !== undefined ||
    options.prefix !== undefined ||
    options.yes === true
  );
}

export interface ReplaceReport {
  ok: boolean;
  mode: 'replace';
  /** false: a preview (nothing written); true: --yes, the changes were written. */
  applied: boolean;
  at: string;
  atTime: string;
  scope: { key: string } | { prefix: string } | { partitions: string };
  placement: string;
  writeQuorum: number;
  readQuorum: number;
  partitions: number;
  preview: UndoCounts;
  result: UndoSummary['applied'];
  gaps: UndoGap[];
  problems: UndoSummary['problems'];
  durationMs: number;
}

function invalid(message: string): RedoubtError {
  return new RedoubtError('INVALID_ARGUMENT', message);
}

/** Checks the combination of options before anything is read; returns the scope. */
function scopeOf(options: ReplaceOptions, context: CliContext): UndoScope {
  if (!options.replace) {
    throw invalid(
      '--key, --prefix and --yes belong to point-in-time undo: add --replace (plain restore merges whole partitions)',
    );
  }
  if (options.at === undefined) throw invalid('--replace needs --at <time>: the point in time to go back to');
  if (options.allowOlder) throw invalid('--allow-older does not apply to --replace');
  const given = [options.key, options.prefix, options.partition].filter((x) => x !== undefined).length;
  if (given === 0) {
    throw invalid('--replace needs a scope: --key <key>, --prefix <prefix> or --partition <N|A-B>');
  }
  if (given > 1) throw invalid('give only one of --key, --prefix and --partition with --replace');
  if (options.key !== undefined) return { key: options.key };
  if (options.prefix !== undefined) return { prefix: options.prefix };
  return { partitions: parsePartitionList(options.partition, context.partitions) };
}

/**
 * W and R as the gateways use them: WRITE_QUORUM / READ_QUORUM from the environment, else the local
 * stack's, else a majority of the replicas (the gateway's default for N = 3 is 2 and 2).
 */
function quorumOf(context: CliContext, env: NodeJS.ProcessEnv): { w: number; r: number } {
  const stack = readStackFile(homePaths(context.home).stackFile)?.cluster;
  const majority = Math.floor(context.replicas / 2) + 1;
  const pick = (text: string | undefined, variable: string, fallback: number) => {
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > context.replicas) {
      throw new RedoubtError('CONFIG_INVALID', `${variable} must be 1..${context.replicas}, not ${text}`, {
        variable,
      });
    }
    return n;
  };
  return {
    w: pick(env.WRITE_QUORUM, 'WRITE_QUORUM', stack?.writeQuorum ?? majority),
    r: pick(env.READ_QUORUM, 'READ_QUORUM', stack?.readQuorum ?? majority),
  };
}

/**
 * `redoubt restore --at T --replace (--key K | --prefix P | --partition N|A-B) [--yes]`: point-in-time
 * undo (libs/backup undoToPointInTime). Without --yes it previews and exits 0 having written nothing;
 * with --yes it previews, then writes the changes as new versions acknowledged by W replicas each.
 * Always runs in this process (it is a handful of writes, not a bulk restore).
 */
export async function restoreReplace(options: ReplaceOptions, out: Output): Promise<ReplaceReport> {
  const context = resolveContext();
  const scope = scopeOf(options, context);
  const at = parsePointInTime(options.at!);
  const { w, r } = quorumOf(context, process.env);
  const described =
    'key' in scope
      ? { key: scope.key }
      : 'prefix' in scope
        ? { prefix: scope.prefix }
        : { partitions: options.partition! };
  const atTime = new Date(wallOf(at)).toISOString();
  const { map, placement } = await clusterMapOf(context);
  out.line(
    `restore --replace: back to the state as of ${atTime}${isValidVersion(options.at!.trim()) ? ` (version ${at})` : ''} for ${JSON.stringify(described)}; cluster from ${context.source}, placement ${placement}, W=${w}, R=${r}`,
  );
  let progress: Progress | undefined;
  try {
    const summary = await undoToPointInTime({
      scope,
      at,
      partitions: context.partitions,
      targets: context.settings.targets,
      key: context.settings.key,
      signing: context.settings.signing,
      replicasOf: (p) => map.replicasOf(p),
      epoch: map.epoch,
      readQuorum: r,
      writeQuorum: w,
      apply: options.yes === true,
      onPartition: (pass, done, total) => {
        if (total < 16) return;
        if (done === 1) {
          progress?.stop();
          progress = new Progress(`undo ${pass}`, total, { enabled: !out.json });
        }
        progress?.advance(1);
      },
    });
    progress?.stop();
    const report: ReplaceReport = {
      ok: summary.ok,
      mode: 'replace',
      applied: options.yes === true,
      at,
      atTime,
      scope: described,
      placement,
      writeQuorum: w,
      readQuorum: r,
      partitions: summary.partitions,
      preview: summary.preview,
      result: summary.applied,
      gaps: summary.gaps,
      problems: summary.problems,
      durationMs: summary.durationMs,
    };
    out.result(report, printHuman);
    return report;
  } finally {
    progress?.stop();
    await map.close();
  }
}

function countsLine(c: UndoCounts, verb: string): string {
  return (
    `${c.overwrite} ${verb} overwrite, ${c.delete} ${verb} delete, ${c.bringBack} ${verb} bring back, ${c.unchanged} unchanged; ` +
    `${formatBytes(c.bytesToWrite)} to write, ${formatBytes(c.bytesReplaced)} of current values replaced`
  );
}

function printHuman(r: ReplaceReport): void {
  console.log(`preview (${r.partitions} partition(s)): ${countsLine(r.preview, 'to')}`);
  const sample = r.preview.sample;
  for (const [label, entries] of [
    ['overwrite', sample.overwrite],
    ['delete', sample.delete],
    ['bring back', sample.bringBack],
  ] as const) {
    for (const e of entries) {
      console.log(
        `  ${label.padEnd(10)} ${JSON.stringify(e.key)} (partition ${e.partition}): now ${e.current ?? 'absent'}` +
          (label === 'delete' ? '' : `, back to ${e.past} (${formatBytes(e.bytes)})`),
      );
    }
  }
  if (r.gaps.length > 0) {
    const widest = r.gaps.reduce((a, b) => (b.gapMs > a.gapMs ? b : a));
    const where =
      r.gaps.length <= 3
        ? `partition(s) ${r.gaps.map((g) => `${g.partition} (backups reach ${g.coveredUntil})`).join(', ')}`
        : `${r.gaps.length} partitions (the widest: ${widest.partition}, backups reach ${widest.coveredUntil})`;
    console.log(
      `  note: T is after the newest backup of ${where}, by up to ${formatDuration(widest.gapMs)}: a version ` +
        'written in between and replaced after T is in no backup, so the newest older one comes back (--json lists them)',
    );
  }
  for (const p of r.problems.slice(0, 20)) console.log(`  passed over ${p.file} (${p.code}): ${p.message}`);
  if (!r.result) {
    console.log(
      `preview only: nothing was changed (${formatDuration(r.durationMs)}). Run again with --yes to apply.`,
    );
    return;
  }
  const { writes } = r.result;
  console.log(`applied: ${countsLine(r.result, 'to')}`);
  console.log(
    `undo ${r.ok ? 'done' : 'INCOMPLETE'}: ${writes.written} written (each acknowledged by W=${r.writeQuorum}), ${writes.failed} failed, ` +
      `${writes.superseded} superseded by a newer write, ${writes.missedReplicas} not yet on every replica; ${formatDuration(r.durationMs)}`,
  );
  for (const f of writes.failures.slice(0, 50))
    console.log(`  failed ${JSON.stringify(f.key)} (partition ${f.partition}): ${f.error}`);
  for (const p of writes.failedPartitions.slice(0, 50))
    console.log(`  partition ${p.partition} not undone: ${p.error}`);
}
