import { readBackupHealth, type BackupHealth } from '@redoubt/backup';
import { QUEUES } from '@redoubt/queues';
import { readBriefly, resolveContext } from '../backup/cli-context.js';
import { duration } from './cluster-tables.js';

/**
 * The backup side of `redoubt status`, read beside the backup queue in the queues' Redis (where the
 * backup-worker records what it backed up and its last drill): the RPO now and the last drill's RTO.
 * Undefined when no Redis is known or it does not answer within a couple of seconds.
 */
export async function backupHealth(): Promise<BackupHealth | undefined> {
  const context = resolveContext();
  if (!context.redis) return undefined;
  return readBriefly(context.redis, (redis) =>
    readBackupHealth(redis, `${context.queuePrefix}:${QUEUES.backup}:`),
  );
}

export function renderBackupHealth(health: BackupHealth | undefined): string {
  if (!health) return 'backups: unknown (no Redis to read them from)';
  const rpo =
    health.rpoMs === null
      ? 'no partition with data backed up yet'
      : `RPO now ${duration(health.rpoMs / 1000)} (stalest: partition ${health.stalestPartition}; ${health.partitionsWithData} partitions hold data)`;
  const d = health.lastDrill;
  const drill = d
    ? `last drill ${d.ok ? 'ok' : 'FAILED'} ${new Date(d.at).toISOString()}: RTO ${duration(d.rtoMs / 1000)} for ${d.partitions} partition(s)`
    : 'no drill run yet';
  return `backups: ${rpo}; ${drill}`;
}
