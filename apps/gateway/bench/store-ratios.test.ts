import { describe, expect, it } from 'vitest';
import { computeRatios, GOALS, medianRatios, ratioKey, type MeasuredCell } from './store-ratios.js';
import { renderSummary, renderTable } from './store-table.js';

const cell = (
  series: string,
  concurrency: number,
  rps: number,
  p50Ms: number,
  p99Ms: number,
): MeasuredCell => ({
  series,
  system: series.split(' ')[0]!,
  op: series.includes(' put') ? 'put' : 'get',
  concurrency,
  rps,
  p50Ms,
  p99Ms,
  maxMs: p99Ms * 2,
  requests: rps * 15,
  errors: 0,
  cpuMicrosPerRequest: { gateways: 100, 'go driver': 40 },
  loadAverage: { before: 2, after: 2.5 },
});

describe('store benchmark ratios', () => {
  it('divides redoubt by etcd within one cell, like with like', () => {
    const r = computeRatios([
      cell('redoubt-stack put', 64, 3000, 20, 40),
      cell('etcd put', 64, 2000, 10, 80),
      cell('redoubt-stack get quorum', 64, 6000, 5, 10),
      cell('etcd get serializable', 64, 8000, 4, 20),
      cell('etcd get linearizable', 64, 4000, 8, 20),
    ]);
    expect(r[ratioKey('redoubt-stack put', 'etcd put', 64)]).toEqual({ throughput: 1.5, p50: 2, p99: 0.5 });
    expect(r[ratioKey('redoubt-stack get quorum', 'etcd get serializable', 64)]!.throughput).toBe(0.75);
    expect(r[ratioKey('redoubt-stack get quorum', 'etcd get linearizable', 64)]!.throughput).toBe(1.5);
    // no lean-cluster cells measured: no ratio invented for them
    expect(Object.keys(r).some((k) => k.startsWith('redoubt-bench'))).toBe(false);
  });

  it('takes medians over rounds and judges the goals on them', () => {
    const key = ratioKey('redoubt-stack put', 'etcd put', 64);
    const rounds = [1.2, 1.6, 1.7].map((throughput) => ({ [key]: { throughput, p50: 1, p99: 0.9 } }));
    const median = medianRatios(rounds);
    expect(median[key]).toEqual({ throughput: 1.6, p50: 1, p99: 0.9 });
    const met = Object.fromEntries(GOALS.map((g) => [g.name, g.met(median)]));
    expect(met['PUT c=64 throughput >= 1.5x etcd']).toBe(true);
    expect(met['PUT c=64 p99 <= etcd']).toBe(true);
    expect(met['PUT c=16 throughput >= 1.5x etcd']).toBe(false); // not measured is not met
  });

  it('renders the README table and summary from a result', () => {
    const cells = [cell('redoubt-stack put', 64, 3000, 20, 40), cell('etcd put', 64, 2000, 10, 80)];
    const result = {
      at: '2026-12-07T00:00:00.000Z',
      environment: { cores: 2, filesystem: 'ext4', fdatasyncP50Ms: 1.3 },
      parameters: { durationMsPerCell: 20_000, rounds: 1, concurrency: [64] },
      series: [
        { name: 'redoubt-stack put', semantics: 'W = 2' },
        { name: 'etcd put', semantics: 'Raft' },
      ],
      cells,
      ratios: computeRatios(cells),
      goals: { 'PUT c=64 throughput >= 1.5x etcd': true, 'PUT c=1 p50 <= etcd': false },
    };
    const table = renderTable(result, 'bench/results/store-x.json');
    expect(table).toContain('| redoubt-stack put | 64 | 3000 | 20.00 | 40.00 | 100 | 40 |');
    expect(table).toContain('| redoubt-stack put / etcd put | 64 | 1.5× | 2× | 0.5× |');
    expect(table).toContain('- **not met**: PUT c=1 p50 <= etcd');
    expect(renderSummary(result, 'bench/results/store-x.json')).toContain('PUT 1.5× etcd (p99 0.5×)');
  });
});
