/** One series measured at one concurrency (store.bench.ts). */
export interface MeasuredCell {
  series: string;
  system: string;
  op: 'put' | 'get';
  concurrency: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  errors: number;
  firstError?: string;
  /** CPU microseconds per request by process group (from /proc), and the driver's own. */
  cpuMicrosPerRequest: Record<string, number>;
  /** 1-minute load average before and after the cell (the machine is shared). */
  loadAverage: { before: number; after: number };
}

/** `<series> / <baseline> c=<n>` -> redoubt's figure divided by etcd's, measured in the same cell. */
export type RatioTable = Record<string, { throughput: number; p50: number; p99: number }>;

/** What is compared with what: like with like, and the stronger etcd read beside the weaker. */
export const COMPARISONS: readonly [string, string][] = [
  ['redoubt-stack put', 'etcd put'],
  ['redoubt-bench put', 'etcd put'],
  ['redoubt-stack get quorum', 'etcd get serializable'],
  ['redoubt-stack get quorum', 'etcd get linearizable'],
  ['redoubt-stack get all', 'etcd get linearizable'],
  ['redoubt-bench get quorum', 'etcd get serializable'],
];

export const ratioKey = (series: string, baseline: string, c: number) => `${series} / ${baseline} c=${c}`;

const round2 = (x: number) => Math.round(x * 100) / 100;

export function computeRatios(cells: readonly MeasuredCell[]): RatioTable {
  const out: RatioTable = {};
  const concurrencies = [...new Set(cells.map((c) => c.concurrency))].sort((a, b) => a - b);
  for (const [series, baseline] of COMPARISONS) {
    for (const c of concurrencies) {
      const a = cells.find((x) => x.series === series && x.concurrency === c);
      const b = cells.find((x) => x.series === baseline && x.concurrency === c);
      if (!a || !b) continue;
      out[ratioKey(series, baseline, c)] = {
        throughput: round2(a.rps / b.rps),
        p50: round2(a.p50Ms / b.p50Ms),
        p99: round2(a.p99Ms / b.p99Ms),
      };
    }
  }
  return out;
}

const median = (values: number[]) => {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length / 2;
  return v.length % 2 ? v[Math.floor(mid)]! : (v[mid - 1]! + v[mid]!) / 2;
};

/** Each ratio's median over the rounds that have it. */
export function medianRatios(tables: readonly RatioTable[]): RatioTable {
  const out: RatioTable = {};
  for (const key of Object.keys(tables[0] ?? {})) {
    const rows = tables.map((t) => t[key]).filter((r) => r !== undefined);
    out[key] = {
      throughput: round2(median(rows.map((r) => r.throughput))),
      p50: round2(median(rows.map((r) => r.p50))),
      p99: round2(median(rows.map((r) => r.p99))),
    };
  }
  return out;
}

const PUT = (c: number) => ratioKey('redoubt-stack put', 'etcd put', c);
const GET = (c: number) => ratioKey('redoubt-stack get quorum', 'etcd get serializable', c);

/** Issue 22's targets, on the default stack against etcd's native path. */
export const GOALS: readonly { name: string; met: (r: RatioTable) => boolean }[] = [
  { name: 'PUT c=64 throughput >= 1.5x etcd', met: (r) => (r[PUT(64)]?.throughput ?? 0) >= 1.5 },
  { name: 'PUT c=64 p99 <= etcd', met: (r) => (r[PUT(64)]?.p99 ?? Infinity) <= 1 },
  { name: 'PUT c=16 throughput >= 1.5x etcd', met: (r) => (r[PUT(16)]?.throughput ?? 0) >= 1.5 },
  { name: 'PUT c=1 p50 <= etcd', met: (r) => (r[PUT(1)]?.p50 ?? Infinity) <= 1 },
  {
    name: 'quorum GET c=64 throughput >= 1.5x etcd serializable',
    met: (r) => (r[GET(64)]?.throughput ?? 0) >= 1.5,
  },
  { name: 'quorum GET c=64 p99 <= etcd serializable', met: (r) => (r[GET(64)]?.p99 ?? Infinity) <= 1 },
];
