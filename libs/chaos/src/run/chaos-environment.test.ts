import { describe, expect, it } from 'vitest';
import { environmentFromEnv } from './chaos-environment.js';

const base = {
  ADMIN_KEY: 'admin-key-0123456789',
  CLUSTER_TOKEN: 'cluster-token-0123456789',
  DATA_NODES: 'd1=http://data-1:7101,d2=http://data-2:7101,d3=http://data-3:7101',
  REDIS_URL: 'redis://redis:6379',
};

describe('the docker environment', () => {
  it('reads the compose variables: GATEWAY_URL, API_KEYS, monitors, SERVICES', () => {
    const environment = environmentFromEnv({
      ...base,
      GATEWAY_URL: 'http://lb:8080',
      API_KEYS: 'client-key-0123456789,other-key-0123456789',
      MONITOR_URLS: 'http://monitor-1:8070, http://monitor-2:8070',
      SERVICES: 'gateway-1=http://gateway-1:8080,gateway-2=http://gateway-2:8080',
      PARTITIONS: '64',
    });
    expect(environment).toMatchObject({
      kind: 'docker',
      gateways: ['http://lb:8080'],
      apiKey: 'client-key-0123456789',
      monitors: ['http://monitor-1:8070', 'http://monitor-2:8070'],
      services: [
        { name: 'gateway-1', url: 'http://gateway-1:8080' },
        { name: 'gateway-2', url: 'http://gateway-2:8080' },
      ],
      dataNodes: [{ id: 'd1', url: 'http://data-1:7101' }, { id: 'd2' }, { id: 'd3' }],
      partitions: 64,
      writeQuorum: 2,
    });
  });

  it('prefers CHAOS_GATEWAYS (every gateway) and takes API_KEY', () => {
    const environment = environmentFromEnv({
      ...base,
      CHAOS_GATEWAYS: 'http://gateway-1:8080,http://gateway-2:8080/',
      GATEWAY_URL: 'http://lb:8080',
      API_KEY: 'client-key-0123456789',
    });
    expect(environment.gateways).toEqual(['http://gateway-1:8080', 'http://gateway-2:8080']);
    expect(environment.services).toEqual([]);
  });

  it('says which variable is missing or wrong (CONFIG_INVALID)', () => {
    const problem = (env: NodeJS.ProcessEnv) => {
      try {
        environmentFromEnv(env);
      } catch (error) {
        expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(problem({ ...base })).toMatch(
      /CHAOS_GATEWAYS: set CHAOS_GATEWAYS or GATEWAY_URL[\s\S]*API_KEY: set API_KEY/,
    );
    expect(
      problem({ ...base, GATEWAY_URL: 'http://lb:8080', API_KEY: 'short', DATA_NODES: 'd1=nope' }),
    ).toMatch(/API_KEY[\s\S]*DATA_NODES/);
  });
});
