import { Option, type Command } from 'commander';
import { backupDrill } from './backup/backup-drill.js';
import { backupList } from './backup/backup-list.js';
import { backupNow } from './backup/backup-now.js';
import { backupVerify } from './backup/backup-verify.js';
import { runCommand } from './backup/output.js';
import { restore } from './backup/restore.js';
import { isReplaceRequest, restoreReplace } from './backup/restore-replace.js';

const ENVIRONMENT = `
Where things are: DATA_NODES, CLUSTER_TOKEN, REDIS_URL, QUEUE_PREFIX, PARTITIONS, REPLICAS from the
environment, else from the local stack's <REDOUBT_HOME>/stack.json (REDOUBT_HOME default <repo>/.redoubt).
Backup targets: BACKUP_TARGETS=t1=/path,t2=s3://bucket/prefix?endpoint=...&style=path (S3 keys from
BACKUP_S3_<ID>_ACCESS_KEY_ID/_SECRET_ACCESS_KEY or AWS_*); default: the running local stack's (stack.json),
else <REDOUBT_HOME>/backups/t1..t3; keys: BACKUP_ENCRYPTION_KEY and BACKUP_SIGNING_KEY (32 bytes, hex or
base64; default the local stack's <REDOUBT_HOME>/backup.key and backup-signing.key). See
docs/runbooks/backup-keys.md.`;

const json = (command: Command): boolean => command.optsWithGlobals<{ json?: boolean }>().json === true;

const timeout = () =>
  new Option('--timeout <seconds>', 'how long to wait for the jobs').default(3600).argParser(Number);

/** `redoubt backup now|list|verify|drill`, `redoubt restore`. */
export function registerBackupCommands(program: Command): void {
  const backup = program
    .command('backup')
    .description('back up partitions, list and verify backups, run a restore drill')
    .addHelpText('after', ENVIRONMENT);

  backup
    .command('now')
    .description(
      'back up now: every partition and target of the backup matrix whose data changed since its last backup (incremental when a chain exists); waits on backups already running',
    )
    .option('-p, --partition <list>', 'only these partitions (e.g. 0-15,42)')
    .option('-t, --target <ids>', 'only these targets (comma-separated ids)')
    .option('--full', 'full backups instead of incrementals')
    .option('--local', 'run the backups in this process instead of enqueueing them for the backup-worker')
    .addOption(timeout())
    .option('--json', 'machine-readable output')
    .action((options, command: Command) => runCommand(json(command), (out) => backupNow(options, out)));

  backup
    .command('list')
    .description(
      'summary of the backups per target (partitions covered, newest and oldest, bytes, problems); details with --partition',
    )
    .option('-p, --partition <list>', 'a table of these partitions (per partition and target)')
    .option('--backups', 'a table with one row per backup')
    .option('--json', 'machine-readable output')
    .action((options, command: Command) => runCommand(json(command), (out) => backupList(options, out)));

  backup
    .command('verify')
    .description('re-read every segment and check its SHA-256; every missing or damaged file is named')
    .option('-p, --partition <list>', 'only these partitions')
    .option('-t, --target <ids>', 'only these targets')
    .option(
      '--deep',
      'also decrypt and decode every record (needs BACKUP_ENCRYPTION_KEY for encrypted backups)',
    )
    .option('--json', 'machine-readable output')
    .action((options, command: Command) => runCommand(json(command), (out) => backupVerify(options, out)));

  backup
    .command('drill')
    .description(
      'restore sampled partitions into scratch space, compare with the live replicas, report RTO and RPO',
    )
    .option('-p, --partition <list>', 'drill these partitions instead of a sample')
    .addOption(new Option('--sample <n>', 'how many partitions to sample').default(4).argParser(Number))
    .option('--json', 'machine-readable output')
    .action((options, command: Command) => runCommand(json(command), (out) => backupDrill(options, out)));

  program
    .command('restore')
    .description(
      'restore partitions from backups into every replica (merging by version: newer data is never overwritten)',
    )
    .option('-p, --partition <list>', 'only these partitions (default: all)')
    .option('--at <time>', 'the newest backup point at or before this time: ISO date, epoch ms, or a version')
    .option('--allow-older', 'when the best backup of a partition is damaged, fall back to an older one')
    .option('--local', 'restore from this process instead of enqueueing restore jobs for the backup-worker')
    .option(
      '--replace',
      'point-in-time undo: bring --key, --prefix or --partition back to their state as of --at (new versions; previews unless --yes)',
    )
    .option('--key <key>', 'with --replace: only this key')
    .option('--prefix <prefix>', 'with --replace: every key starting with this')
    .option('--yes', 'with --replace: apply the previewed changes (without it nothing is written)')
    .addOption(timeout())
    .option('--json', 'machine-readable output')
    .addHelpText('after', ENVIRONMENT)
    .action((options, command: Command) =>
      runCommand(json(command), (out) =>
        isReplaceRequest(options) ? restoreReplace(options, out) : restore(options, out),
      ),
    );
}
