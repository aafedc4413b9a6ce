/**
 * A test fixture run as its own process: backs up one partition to one target given as a BACKUP_TARGETS
 * entry (`t1=s3://...` with its BACKUP_S3_T1_* credentials, or a directory), and SIGKILLs itself once
 * BACKUP_CRASH_AFTER_SEGMENTS segments are stored, before the manifest: a backup cut off mid-way.
 *
 * Environment: BACKUP_TARGET, and those of @redoubt/backup's backup-once-process.ts (DATA_NODES,
 * CLUSTER_TOKEN, PARTITIONS, REPLICAS, PARTITION, SEGMENT_BYTES, BACKUP_CRASH_AFTER_SEGMENTS).
 */
import { parseBackupTargets } from '@redoubt/backup';
import { backupOnceFromEnv } from '@redoubt/backup/testing';
import { backupStoreOpener } from '../target-spec.js';

const [target] = parseBackupTargets(process.env.BACKUP_TARGET ?? '', backupStoreOpener(process.env));
await backupOnceFromEnv(target!);
