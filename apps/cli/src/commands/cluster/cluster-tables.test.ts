import { describe, expect, it } from 'vitest';
import { build, toJSON, loads } from '@redoubt/placement';
import { previewChange, type ClusterStatus } from '@redoubt/recovery';
import { bytes, duration, renderPlacement, renderPreview, renderStatus } from './cluster-tables.js';

const now = Date.UTC(2026, 0, 1, 12, 0, 0);
const status: ClusterStatus = {
  monitor: {
    id: 'm1',
    url: 'http://m1',
    leader: true,
    leaderId: 'm1',
    leaderUrl: 'http://m1',
    orchestrator: 'local',
    redis: 'up',
    at: now,
  },
  placement: {
    epoch: 2,
    partitions: 64,
    replicas: 3,
    writeQuorum: 2,
    source: 'redis',
    servers: ['d1', 'd2', 'd3'],
  },
  nodes: [
    {
      id: 'd1',
      url: 'http://d1',
      zone: 'a',
      weight: 1,
      membership: 'active',
      health: 'up',
      healthSince: now - 5_000,
      lastOkAt: now - 200,
      lastError: null,
      replicas: 64,
      primaries: 21,
    },
    {
      id: 'd4',
      url: 'http://d4',
      zone: 'b',
      weight: 1,
      membership: 'evicted',
      health: 'dead',
      healthSince: now - 90_000,
      lastOkAt: now - 95_000,
      lastError: 'connection refused',
      replicas: 0,
      primaries: 0,
      note: 'dead; partitions re-placed in epoch 2',
    },
  ],
  services: [
    {
      name: 'd1',
      kind: 'data',
      url: 'http://d1',
      orchestratorName: 'data-1',
      health: 'up',
      since: now - 5_000,
      lastOkAt: now - 200,
      lastError: null,
      latencyMs: 1.2,
    },
    {
      name: 'gw1',
      kind: 'gateway',
      url: 'http://gw1',
      orchestratorName: 'gw-1',
      health: 'up',
      since: now - 5_000,
      lastOkAt: now - 200,
      lastError: null,
      latencyMs: 0.8,
    },
  ],
  redundancy: {
    epoch: 2,
    belowR: 12,
    belowW: 0,
    unavailable: 0,
    pendingMoves: 12,
    failedMoves: 0,
    pendingBytes: 3 * 1024 * 1024,
    estimatedSecondsToFullRedundancy: 0.03,
    movesReadAt: now,
  },
  queues: { 'rebalance-move': { wait: 2, prioritized: 10, active: 1, delayed: 0, failed: 0, completed: 40 } },
  events: [
    {
      id: 'd4-1',
      target: 'd4',
      kind: 'data',
      fault: 'dead',
      cause: 'connection refused',
      lastOkAt: now - 95_000,
      detectedAt: now - 94_800,
      recoveredAt: null,
      timeToDetectMs: 200,
      timeToRecoverMs: null,
      status: 'replaced',
      actions: [
        { at: now - 94_000, action: 'start', result: 'failed', by: 'm1' },
        { at: now - 94_000, action: 'wait', result: 'skipped', by: 'm1' },
        { at: now - 34_000, action: 'replace', result: 'ok', by: 'm1' },
      ],
      epochs: [],
      monitor: 'm1',
    },
  ],
  notes: [],
};

describe('cluster tables', () => {
  it('renders the status with nodes, services, queues and events', () => {
    const text = renderStatus(status, now);
    expect(text).toContain('monitor m1 (leader), orchestrator local, redis up');
    expect(text).toContain('placement epoch 2 (redis): 64 partitions x 3 replicas, W=2');
    expect(text).toContain('12 partitions below R, 0 below W');
    expect(text).toMatch(/d4 .*dead .*evicted/);
    expect(text).toMatch(/gw1 .*gateway .*up/);
    expect(text).toMatch(/rebalance-move .*12 .*1 /);
    expect(text).toMatch(/d4 .*dead .*replaced .*200 ms .*- .*start \(failed\), replace/);
  });

  it('renders a preview with the time at the bandwidth and the exposure below R', () => {
    const m = build(
      ['d1', 'd2', 'd3', 'd4'].map((id) => ({ id, zone: id, weight: 1 })),
      { partitions: 64, replicas: 3 },
    );
    const { preview } = previewChange(
      m,
      { kind: 'drain', node: 'd4' },
      {
        isLive: () => true,
        writeQuorum: 2,
        sizeOf: () => 1_000_000,
        bandwidthBytesPerSecond: 10_000_000,
      },
    );
    const text = renderPreview(preview);
    expect(text).toContain('drain d4: epoch 1 -> 2');
    expect(text).toContain(`moves: ${preview.moves} replicas of ${preview.partitionsAffected} partitions`);
    expect(text).toContain(`estimated time at 9.5 MiB/s: ${duration(preview.estimatedSeconds)}`);
    expect(text).toContain('longest below R');
  });

  it('renders the placement with the share of each server', () => {
    const m = build(
      ['d1', 'd2', 'd3'].map((id) => ({ id, zone: id, weight: 1 })),
      { partitions: 8, replicas: 3 },
    );
    const text = renderPlacement(
      { epoch: 1, source: 'redis', nodes: [], loads: loads(m), placement: toJSON(m) },
      { partition: 3, replicas: ['d2', 'd1', 'd3'] },
    );
    expect(text).toMatch(/d1 .*d1 .*1 .*8 .*33\.3 %/);
    expect(text).toContain('partition 3: d2, d1, d3 (primary first)');
  });

  it('formats sizes and durations for people', () => {
    expect([bytes(512), bytes(2048), bytes(5 * 1024 ** 3)]).toEqual(['512 B', '2.0 KiB', '5.0 GiB']);
    expect([duration(0.25), duration(12.34), duration(600), duration(9000)]).toEqual([
      '250 ms',
      '12.3 s',
      '10 min 0 s',
      '2 h 30 min',
    ]);
  });
});
