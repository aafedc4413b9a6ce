/**
 * A test fixture run as its own process: backs up one partition to one target and prints the outcome as
 * one JSON line. Tests run it to crash a backup for real (BACKUP_CRASH_AFTER_SEGMENTS: SIGKILL itself once
 * that many segments are durable, before the manifest) and inside a mount namespace whose target is a
 * read-only or tiny file system (unshare), which the test process itself must not be subjected to.
 *
 * Environment: DATA_NODES, CLUSTER_TOKEN, PARTITIONS, REPLICAS, TARGET_DIR, PARTITION, SEGMENT_BYTES,
 * BACKUP_CRASH_AFTER_SEGMENTS, BACKUP_SIGNING_KEY (hex; the test generates one).
 */
import { directoryTarget } from '../backup-targets.js';
import { backupOnceFromEnv } from './backup-once.js';

await backupOnceFromEnv(directoryTarget('t1', process.env.TARGET_DIR ?? ''));
