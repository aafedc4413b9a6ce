import { describe, expect, it } from 'vitest';
import { orchestratorName } from './index.js';

describe('orchestratorName', () => {
  it('prefers an explicit mapping', () => {
    expect(
      orchestratorName({ name: 'd1', url: 'http://data-1:7101' }, 'docker', new Map([['d1', 'store-a']])),
    ).toBe('store-a');
  });

  it('docker: the compose service is the host name of the URL', () => {
    expect(orchestratorName({ name: 'd1', url: 'http://data-1:7101' }, 'docker')).toBe('data-1');
    expect(orchestratorName({ name: 'redis', url: 'redis://redis:6379' }, 'docker')).toBe('redis');
    expect(orchestratorName({ name: 'd1', url: 'http://127.0.0.1:7101' }, 'docker')).toBe('d1');
  });

  it('swarm: the host name of the URL is the stack service, or a replica by its slot host name', () => {
    expect(orchestratorName({ name: 'd1', url: 'http://data-1:7101' }, 'swarm')).toBe('data-1');
    expect(orchestratorName({ name: 'gw2', url: 'http://gateway-2:8080' }, 'swarm')).toBe('gateway-2');
  });

  it('kubernetes: the first label of the host (a pod behind the headless Service, or a Service)', () => {
    expect(
      orchestratorName(
        { name: 'redoubt-data-0', url: 'http://redoubt-data-0.redoubt-data:7101' },
        'kubernetes',
      ),
    ).toBe('redoubt-data-0');
    expect(orchestratorName({ name: 'gateway', url: 'http://redoubt-gateway:8080' }, 'kubernetes')).toBe(
      'redoubt-gateway',
    );
    expect(orchestratorName({ name: 'gw', url: 'http://10.0.0.7:8080' }, 'kubernetes')).toBe('gw');
  });

  it('local: the naming of npm start', () => {
    expect(orchestratorName({ name: 'd12', url: 'http://127.0.0.1:7112' }, 'local')).toBe('data-12');
    expect(orchestratorName({ name: 'gw2', url: 'http://127.0.0.1:8081' }, 'local')).toBe('gw-2');
    expect(orchestratorName({ name: 'w1', url: 'http://127.0.0.1:8090' }, 'local')).toBe('backup-worker');
    expect(orchestratorName({ name: 'w2', url: 'http://127.0.0.1:8091' }, 'local')).toBe('backup-worker-2');
    expect(orchestratorName({ name: 'gw-1', url: 'http://127.0.0.1:8080' }, 'local')).toBe('gw-1');
    expect(orchestratorName({ name: 'redis', url: 'redis://127.0.0.1:6390' }, 'local')).toBe('redis');
  });
});
