/** The shape of bench/results/backup-<timestamp>.json (format of December 2026) and its Markdown table. */
export interface PhaseCpu {
  /** CPU seconds of the process running the backup or restore (the worker's part). */
  bench: number;
  dataNodes: number;
  s3rver: number;
}

export interface KindResult {
  kind: 'directory' | 's3';
  backup: {
    seconds: number;
    rawBytes: number;
    storedBytes: number;
    ratio: number;
    MBs: number;
    vsCopy: number;
    cpuSeconds: PhaseCpu;
  };
  restore: {
    seconds: number;
    rawBytes: number;
    records: number;
    MBs: number;
    replicaMBs: number;
    vsCopy: number;
    vsIngestFloor: number;
    secondsPerGB: number;
    targetSecondsPerGB: number;
    meetsTarget: boolean;
    ok: boolean;
    digestsIdentical: boolean;
    cpuSeconds: PhaseCpu;
  };
}

export interface BackupBenchResult {
  benchmark: 'backup';
  at: string;
  seconds: number;
  environment: Record<string, unknown> & { loadAverage: number[]; loadAverageAtStart?: number[] };
  parameters: Record<string, unknown> & { bytes: number; records: number };
  baseline: { sequentialWriteMBs: number; sequentialCopyMBs: number };
  ingestFloor: { seconds: number; MBs: number };
  kinds: KindResult[];
  compression: { codec: string; level: number; ratio: number; compressMBs: number; decompressMBs: number }[];
  digest: string;
}

const f1 = (n: number) => n.toFixed(1);
const cpu = (c: PhaseCpu, s3: boolean) =>
  `${f1(c.bench)} + ${f1(c.dataNodes)}${s3 ? ` + ${f1(c.s3rver)}` : ''}`;

/** The README's table of one run, every ratio against what was measured in that same run. */
export function backupTable(r: BackupBenchResult): string {
  const copy = r.baseline.sequentialCopyMBs;
  const rows = r.kinds.flatMap((k) => [
    `| ${k.kind} | backup (read 1 replica, brotli:1, AES-GCM, durable put) | ${f1(k.backup.seconds)} | ${k.backup.MBs.toFixed(0)} | ${k.backup.vsCopy.toFixed(2)}x | ${cpu(k.backup.cpuSeconds, k.kind === 's3')} |`,
    `| ${k.kind} | restore (verify, decrypt, merge into 3 replicas, fsync) | **${f1(k.restore.seconds)}** | ${k.restore.MBs.toFixed(0)} | ${k.restore.vsCopy.toFixed(2)}x | ${cpu(k.restore.cpuSeconds, k.kind === 's3')} |`,
  ]);
  const verdicts = r.kinds.map(
    (k) =>
      `${k.kind}: ${f1(k.restore.secondsPerGB)} s per GB (target <= ${k.restore.targetSecondsPerGB} s: ${k.restore.meetsTarget ? 'met' : 'NOT met'}), ` +
      `${(k.restore.vsIngestFloor * 100).toFixed(0)} % of the cluster's ingest rate, digests identical: ${k.restore.digestsIdentical}`,
  );
  const load = (l: number[] | undefined) => (l ?? []).map((x) => x.toFixed(1)).join(' ');
  return [
    `${(r.parameters.bytes / 1e9).toFixed(2)} GB (${r.parameters.records} records), ${r.at}, load average ${load(r.environment.loadAverageAtStart)} -> ${load(r.environment.loadAverage)} on ${String(r.environment.cores)} cores:`,
    '',
    `| target | phase | seconds | MB/s | vs raw copy (${copy.toFixed(0)} MB/s) | CPU s (worker + data nodes${r.kinds.some((k) => k.kind === 's3') ? ' [+ s3rver]' : ''}) |`,
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...rows,
    `| — | cluster ingest floor (records from memory into 3 replicas) | ${f1(r.ingestFloor.seconds)} | ${r.ingestFloor.MBs.toFixed(0)} | ${(r.ingestFloor.MBs / copy).toFixed(2)}x | |`,
    '',
    ...verdicts.map((v) => `- ${v}`),
  ].join('\n');
}
