import { verifyTargets, targetById, type VerifySummary } from '@redoubt/backup';
import { parsePartitionList, resolveContext } from './cli-context.js';
import type { Output } from './output.js';
import { formatBytes, formatDuration, Progress } from './progress.js';

export interface BackupVerifyReport extends VerifySummary {
  deep: boolean;
  durationMs: number;
}

/**
 * `redoubt backup verify`: re-reads every segment on the targets and checks its size and SHA-256 against
 * its manifest (no key needed); `--deep` also decrypts and decodes every record. Every missing or damaged
 * file is listed by name; any problem exits 1.
 */
export async function backupVerify(
  options: { partition?: string; target?: string; deep?: boolean },
  out: Output,
): Promise<BackupVerifyReport> {
  const begun = performance.now();
  const context = resolveContext();
  const targets = options.target
    ? options.target.split(',').map((id) => targetById(context.settings.targets, id.trim()))
    : context.settings.targets;
  // A missing directory or bucket, an endpoint that does not answer or refuses the credentials: said
  // at once, as what it is, instead of "nothing to verify".
  for (const target of targets) await target.store.check();
  let progress: Progress | undefined;
  const summary = await verifyTargets(targets, {
    deep: options.deep,
    key: context.settings.key,
    signing: context.settings.signing,
    partitions:
      options.partition === undefined ? undefined : parsePartitionList(options.partition, context.partitions),
    plan: (total) => (progress = new Progress('verify', total, { enabled: !out.json })),
    onPartition: (result) =>
      progress?.advance(1, result.ok ? '' : `problem in partition ${result.partition} on ${result.target}`),
  });
  progress?.stop();
  const report: BackupVerifyReport = {
    ...summary,
    deep: options.deep === true,
    durationMs: Math.round(performance.now() - begun),
  };
  out.result(report, (r) => {
    console.log(
      `verify ${r.ok ? 'OK' : 'FAILED'}${r.deep ? ' (deep)' : ''}: ${r.backups} backup(s), ${r.segments} segment(s), ${formatBytes(r.bytes)} ` +
        `over ${r.partitions} partition folder(s) on ${r.targets.join(', ')} in ${formatDuration(r.durationMs)}`,
    );
    if (r.incomplete > 0)
      console.log(`${r.incomplete} incomplete backup folder(s) skipped (running, or interrupted)`);
    for (const p of r.problems) console.log(`  ${p.code} ${p.file}\n    ${p.message}`);
  });
  return report;
}
