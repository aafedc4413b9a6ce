import { build, validate, type ServerSpec } from '../src/index.js';
import { naiveGreedyBuild } from './naive-greedy.js';

export interface BuildSpeedRow {
  case: string;
  partitions: number;
  servers: number;
  replicas: number;
  /** Median of the timed runs, milliseconds. */
  buildMs: number;
  naiveMs: number | null;
  /** naiveMs / buildMs. */
  speedup: number | null;
  targetMs: number | null;
  valid: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(runs: number, action: () => unknown): number {
  action(); // warm-up: JIT and first allocations are not what is being measured
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    action();
    times.push(performance.now() - start);
  }
  return median(times);
}

const equalServers = (count: number, prefix: string): ServerSpec[] =>
  Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, zone: `zone-${i}`, weight: 1 }));

export function measureBuildSpeed(runs: number): BuildSpeedRow[] {
  const cases: Array<{
    name: string;
    servers: ServerSpec[];
    partitions: number;
    naive: boolean;
    targetMs: number | null;
  }> = [
    {
      name: 'backup: 1,000,000 x 5',
      servers: equalServers(5, 'backup'),
      partitions: 1_000_000,
      naive: true,
      targetMs: 200,
    },
    {
      name: 'data: 4096 x 64',
      servers: equalServers(64, 'data'),
      partitions: 4096,
      naive: true,
      targetMs: null,
    },
  ];
  return cases.map(({ name, servers, partitions, naive, targetMs }) => {
    const replicas = 3;
    const buildMs = time(runs, () => build(servers, { partitions, replicas }));
    const naiveMs = naive ? time(runs, () => naiveGreedyBuild(servers, partitions, replicas)) : null;
    const valid = validate(build(servers, { partitions, replicas }), servers, { tolerance: 0 }).length === 0;
    return {
      case: name,
      partitions,
      servers: servers.length,
      replicas,
      buildMs,
      naiveMs,
      speedup: naiveMs === null ? null : naiveMs / buildMs,
      targetMs,
      valid,
    };
  });
}
