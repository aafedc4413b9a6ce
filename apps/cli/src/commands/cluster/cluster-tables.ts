import Table from 'cli-table3';
import type { PlacementJSON } from '@redoubt/placement';
import type { ChangePreview, ClusterStatus } from '@redoubt/recovery';

/** Readable output of the cluster commands: plain tables, no colour (pipes and logs stay clean). */

function table(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [], compact: true } });
}

export function ago(at: number | null | undefined, now = Date.now()): string {
  if (!at) return '-';
  return `${duration((now - at) / 1000)} ago`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

const time = (at: number | null) => (at ? new Date(at).toISOString().slice(11, 23) : '-');

export function renderStatus(status: ClusterStatus, now = Date.now()): string {
  const lines: string[] = [];
  const m = status.monitor;
  lines.push(
    `monitor ${m.id} (${m.leader ? 'leader' : `standby; leader: ${m.leaderId ?? 'none'}`}), orchestrator ${m.orchestrator}, redis ${m.redis}`,
  );
  const p = status.placement;
  lines.push(
    `placement epoch ${p.epoch} (${p.source}): ${p.partitions} partitions x ${p.replicas} replicas, W=${p.writeQuorum}`,
  );
  const r = status.redundancy;
  lines.push(
    `redundancy: ${r.belowR} partitions below R, ${r.belowW} below W, ${r.unavailable} unavailable; ` +
      `${r.pendingMoves} moves pending (${bytes(r.pendingBytes)}), ${r.failedMoves} failed; ` +
      `full redundancy in ${r.pendingMoves > 0 ? `~${duration(r.estimatedSecondsToFullRedundancy)}` : 'now'}`,
  );
  lines.push('');
  const nodes = table([
    'node',
    'health',
    'membership',
    'replicas',
    'primaries',
    'zone',
    'last ok',
    'url',
    'note',
  ]);
  for (const n of status.nodes)
    nodes.push([
      n.id,
      n.health,
      n.membership,
      n.replicas,
      n.primaries,
      n.zone,
      ago(n.lastOkAt, now),
      n.url,
      n.note ?? n.lastError ?? '',
    ]);
  lines.push('data nodes', nodes.toString(), '');
  const others = status.services.filter((s) => s.kind !== 'data');
  if (others.length > 0) {
    const services = table(['service', 'kind', 'health', 'since', 'last ok', 'latency', 'url']);
    for (const s of others)
      services.push([
        s.name,
        s.kind,
        s.health,
        ago(s.since, now),
        ago(s.lastOkAt, now),
        s.latencyMs === null ? '-' : `${s.latencyMs} ms`,
        s.url,
      ]);
    lines.push('services', services.toString(), '');
  }
  const queueNames = Object.keys(status.queues);
  if (queueNames.length > 0) {
    const queues = table(['queue', 'waiting', 'active', 'delayed', 'failed', 'completed']);
    for (const name of queueNames) {
      const q = status.queues[name]!;
      queues.push([
        name,
        (q.wait ?? 0) + (q.prioritized ?? 0),
        q.active ?? 0,
        q.delayed ?? 0,
        q.failed ?? 0,
        q.completed ?? 0,
      ]);
    }
    lines.push('queues', queues.toString(), '');
  }
  if (status.events.length > 0) {
    const events = table(['detected', 'target', 'fault', 'status', 'detect', 'recover', 'actions']);
    for (const e of status.events.slice(0, 10)) {
      const actions = e.actions
        .filter((a) => a.action !== 'wait')
        .map((a) => `${a.action}${a.result === 'ok' ? '' : ` (${a.result})`}`)
        .join(', ');
      events.push([
        time(e.detectedAt),
        e.target,
        e.fault,
        e.status,
        e.timeToDetectMs === null ? '-' : duration(e.timeToDetectMs / 1000),
        e.timeToRecoverMs === null ? '-' : duration(e.timeToRecoverMs / 1000),
        actions || '-',
      ]);
    }
    lines.push('recent events', events.toString(), '');
  }
  for (const note of status.notes) lines.push(`note: ${note}`);
  return lines.join('\n').trimEnd() + '\n';
}

export interface PlacementView {
  epoch: number;
  source: string;
  nodes: { id: string; url: string }[];
  loads: Record<string, number>;
  placement: PlacementJSON;
}

export function renderPlacement(
  view: PlacementView,
  replicasOfPartition?: { partition: number; replicas: string[] },
): string {
  const p = view.placement;
  const lines = [
    `epoch ${p.epoch} (${view.source}): ${p.partitions} partitions x ${p.replicas} replicas, checksum ${p.checksum}`,
    '',
  ];
  const servers = table(['server', 'zone', 'weight', 'replicas', 'share']);
  const total = Object.values(view.loads).reduce((a, b) => a + b, 0) || 1;
  for (const s of p.servers)
    servers.push([
      s.id,
      s.zone,
      s.weight,
      view.loads[s.id] ?? 0,
      `${(((view.loads[s.id] ?? 0) / total) * 100).toFixed(1)} %`,
    ]);
  lines.push(servers.toString());
  if (replicasOfPartition)
    lines.push(
      '',
      `partition ${replicasOfPartition.partition}: ${replicasOfPartition.replicas.join(', ')} (primary first)`,
    );
  return lines.join('\n') + '\n';
}

export function renderPreview(preview: ChangePreview): string {
  const c = preview.change;
  const what =
    'node' in c
      ? `${c.kind} ${c.node}`
      : 'nodes' in c
        ? `${c.kind} ${c.nodes.join(', ')}`
        : `${c.kind} ${c.servers.map((s) => s.id).join(', ')}`;
  const lines = [
    `${what}: epoch ${preview.fromEpoch} -> ${preview.toEpoch}`,
    `servers: ${preview.servers.before.join(', ')} -> ${preview.servers.after.join(', ')}`,
    `moves: ${preview.moves} replicas of ${preview.partitionsAffected} partitions (${preview.byPriority.belowW} below W, ${preview.byPriority.belowR} below R, ${preview.byPriority.move} rebalancing)`,
    `data to move: ${bytes(preview.bytes)}${preview.sizesComplete ? '' : ' (some nodes did not report sizes: at least this much)'}`,
    `estimated time at ${bytes(preview.bandwidthBytesPerSecond)}/s: ${duration(preview.estimatedSeconds)}`,
    `partitions below R while moving: longest ${duration(preview.maxSecondsBelowR)}, mean ${duration(preview.meanSecondsBelowR)}`,
    '',
  ];
  const loads = table(['server', 'replicas before', 'replicas after']);
  const ids = [...new Set([...Object.keys(preview.loads.before), ...Object.keys(preview.loads.after)])];
  for (const id of ids) loads.push([id, preview.loads.before[id] ?? '-', preview.loads.after[id] ?? '-']);
  lines.push(loads.toString());
  const worst = [...preview.exposure].sort((a, b) => b.secondsBelowR - a.secondsBelowR).slice(0, 5);
  if (worst.length > 0 && preview.bytes > 0) {
    const exposure = table(['partition', 'bytes', 'below R for']);
    for (const e of worst) exposure.push([e.partition, bytes(e.bytes), duration(e.secondsBelowR)]);
    lines.push('', 'longest below R', exposure.toString());
  }
  return lines.join('\n') + '\n';
}
