import { describe, expect, it } from 'vitest';
import { loadConfig } from '@redoubt/config';
import { isRedoubtError } from '@redoubt/errors';
import { kindOf, monitorConfigSchema } from './monitor-config.js';

const base = {
  MONITOR_ID: 'm1',
  REDIS_URL: 'redis://127.0.0.1:6390',
  CLUSTER_TOKEN: 'cluster-token-0123456789',
  ADMIN_KEY: 'admin-key-0123456789abc',
  DATA_NODES: 'd1=http://127.0.0.1:7101,d2=http://127.0.0.1:7102,d3=http://127.0.0.1:7103',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(monitorConfigSchema, env);
    return [];
  } catch (error) {
    expect(isRedoubtError(error, 'CONFIG_INVALID')).toBe(true);
    return (error as { details: { variables: string[] } }).details.variables;
  }
}

describe('monitor configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(monitorConfigSchema, base);
    expect(config).toMatchObject({
      MONITOR_PORT: 7070,
      QUEUE_PREFIX: 'redoubt',
      PARTITIONS: 4096,
      REPLICAS: 3,
      WRITE_QUORUM: 2,
      DEAD_AFTER_MS: 60_000,
      PROBE_INTERVAL_MS: 250,
      PROBE_TIMEOUT_MS: 400,
      ORCHESTRATOR: 'none',
      BANDWIDTH_MBPS: 100,
      LEASE_TTL_MS: 4_000,
      PROBE_REDIS: true,
    });
    expect(config.SERVICES.size).toBe(0);
  });

  it('parses services, zones and orchestrator names', () => {
    const config = loadConfig(monitorConfigSchema, {
      ...base,
      SERVICES: 'gw1=http://127.0.0.1:8080,w1=http://127.0.0.1:8090/',
      DATA_NODE_ZONES: 'd1=a,d2=b',
      ORCHESTRATOR: 'docker',
      ORCHESTRATOR_NAMES: 'd1=store-1',
    });
    expect([...config.SERVICES]).toEqual([
      ['gw1', 'http://127.0.0.1:8080'],
      ['w1', 'http://127.0.0.1:8090/'],
    ]);
    expect(config.DATA_NODE_ZONES.get('d2')).toBe('b');
    expect(config.ORCHESTRATOR_NAMES.get('d1')).toBe('store-1');
  });

  it('names every wrong variable at once', () => {
    expect(problems({ ...base, ORCHESTRATOR: 'local' })).toContain('SUPERVISOR_URL');
    expect(problems({ ...base, ORCHESTRATOR: 'swarm' })).toEqual(['SWARM_STACK']);
    expect(problems({ ...base, ORCHESTRATOR: 'swarm', SWARM_STACK: 'redoubt' })).toEqual([]);
    expect(problems({ ...base, ORCHESTRATOR: 'kubernetes' })).toEqual([
      'KUBERNETES_NAMESPACE',
      'KUBERNETES_POD_SELECTOR',
    ]);
    expect(
      problems({
        ...base,
        ORCHESTRATOR: 'kubernetes',
        KUBERNETES_NAMESPACE: 'Not_A_Namespace',
        KUBERNETES_POD_SELECTOR: 'app.kubernetes.io/instance=redoubt',
      }),
    ).toEqual(['KUBERNETES_NAMESPACE']);
    expect(problems({ ...base, WRITE_QUORUM: '4' })).toContain('WRITE_QUORUM');
    expect(problems({ ...base, REPLICAS: '4', WRITE_QUORUM: '2' })).toContain('DATA_NODES');
    expect(problems({ ...base, SERVICES: 'gw1=ftp://x' })).toContain('SERVICES');
    expect(problems({ ...base, SERVICES: 'd1=http://127.0.0.1:1' })).toContain('SERVICES');
    expect(problems({ ...base, DATA_NODE_ZONES: 'd9=a' })).toContain('DATA_NODE_ZONES');
    expect(problems({ ...base, ADMIN_KEY: 'short' })).toContain('ADMIN_KEY');
  });

  it('tells service kinds from their names', () => {
    expect(kindOf('gw1', 'http://x')).toBe('gateway');
    expect(kindOf('gw-2', 'http://x')).toBe('gateway');
    expect(kindOf('w1', 'http://x')).toBe('worker');
    expect(kindOf('backup-worker', 'http://x')).toBe('worker');
    expect(kindOf('m2', 'http://x')).toBe('monitor');
    expect(kindOf('cache', 'redis://x')).toBe('redis');
    expect(kindOf('prometheus', 'http://x')).toBe('service');
  });
});
