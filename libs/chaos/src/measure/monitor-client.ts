/**
 * The monitor's status API as the chaos app uses it: `GET /v1/cluster` (nodes, states, epoch, partitions
 * below R and W, leader) and its recovery event log (detection and recovery times). Parsed leniently: the
 * chaos app only needs a few fields and must keep working when the monitor adds more (or is absent).
 */
export interface MonitorEvent {
  /** The service or node the event is about (name or id). */
  subject: string[];
  type: string;
  detectedAt: number | null;
  recoveredAt: number | null;
  at: number | null;
}

export interface ClusterStatus {
  epoch: number | null;
  leader: { id: string; url?: string | undefined } | null;
  partitionsBelowR: number | null;
  partitionsBelowW: number | null;
  raw: Record<string, unknown>;
}

function time(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value; // ms since the epoch, as the monitor records
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}

function firstNumber(source: Record<string, unknown>, ...names: string[]): number | null {
  for (const name of names) {
    const value = source[name];
    if (typeof value === 'number') return value;
    if (Array.isArray(value)) return value.length;
  }
  return null;
}

/** Turns the monitor's event objects into MonitorEvents; tolerant of field names. */
export function parseMonitorEvents(body: unknown): MonitorEvent[] {
  const list = Array.isArray(body)
    ? body
    : Array.isArray((body as { events?: unknown })?.events)
      ? (body as { events: unknown[] }).events
      : [];
  return list
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({
      subject: ['service', 'node', 'nodeId', 'target', 'name', 'process', 'id']
        .map((k) => e[k])
        .filter((v): v is string => typeof v === 'string'),
      type: String(e.type ?? e.kind ?? e.event ?? ''),
      detectedAt: time(e.detectedAt ?? e.detected_at),
      recoveredAt: time(e.recoveredAt ?? e.recovered_at),
      at: time(e.at ?? e.time ?? e.timestamp),
    }));
}

/** The monitor's `GET /v1/cluster` (libs/recovery ClusterStatus): monitor, placement, redundancy, events. */
export function parseClusterStatus(body: unknown): ClusterStatus {
  const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const section = (name: string) =>
    (typeof raw[name] === 'object' && raw[name] !== null ? raw[name] : {}) as Record<string, unknown>;
  const monitor = section('monitor');
  const leaderId = monitor.leaderId ?? (typeof raw.leader === 'string' ? raw.leader : undefined);
  const leaderUrl = monitor.leaderUrl;
  return {
    epoch: firstNumber(section('placement'), 'epoch') ?? firstNumber(raw, 'epoch'),
    leader:
      typeof leaderId === 'string'
        ? { id: leaderId, url: typeof leaderUrl === 'string' && leaderUrl ? leaderUrl : undefined }
        : null,
    partitionsBelowR: firstNumber(section('redundancy'), 'belowR', 'partitionsBelowR'),
    partitionsBelowW: firstNumber(section('redundancy'), 'belowW', 'partitionsBelowW'),
    raw,
  };
}

export class MonitorClient {
  constructor(
    readonly urls: readonly string[],
    private readonly adminKey: string,
    private readonly timeoutMs = 2000,
  ) {}

  private async getJson(path: string): Promise<unknown> {
    for (const url of this.urls) {
      try {
        const response = await fetch(`${url}${path}`, {
          headers: { 'x-redoubt-admin-key': this.adminKey },
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (response.ok) return await response.json();
        await response.body?.cancel();
      } catch {
        // try the next monitor
      }
    }
    return undefined;
  }

  async status(): Promise<ClusterStatus | undefined> {
    if (this.urls.length === 0) return undefined;
    const body = await this.getJson('/v1/cluster');
    return body === undefined ? undefined : parseClusterStatus(body);
  }

  async events(): Promise<MonitorEvent[]> {
    if (this.urls.length === 0) return [];
    const body = await this.getJson('/v1/events?limit=500');
    return body === undefined ? [] : parseMonitorEvents(body);
  }
}
