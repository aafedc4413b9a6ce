import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './repo-root.js';

/**
 * deploy/swarm/stack.yml, checked without a swarm: the compose schema (docker-compose's own validation of
 * the v3.8 format) and the rules this machine's kernel and the secrets policy impose. The stack itself is
 * deployed for real by `npm run swarm:up` and `npm run chaos:swarm`.
 */
interface Service {
  hostname?: string;
  environment?: Record<string, string>;
  secrets?: string[];
  ports?: { mode?: string }[];
  deploy?: {
    endpoint_mode?: string;
    replicas?: number;
    restart_policy?: { condition?: string };
    update_config?: { order?: string };
    placement?: { constraints?: string[] };
  };
}
const file = join(REPO_ROOT, 'deploy/swarm/stack.yml');
const stack = parse(readFileSync(file, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
};
const services = Object.entries(stack.services);
const dir = mkdtempSync(join(tmpdir(), 'redoubt-swarm-stack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deploy/swarm/stack.yml', () => {
  it('is a valid compose v3.8 file (docker-compose config), with secret files only from swarm:up', () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REDOUBT_')));
    const without = spawnSync('docker-compose', ['-f', file, 'config', '-q'], { env, encoding: 'utf8' });
    expect(without.status).not.toBe(0);
    expect(without.stderr).toContain('run npm run swarm:up');
    for (const name of Object.keys(stack.secrets)) writeFileSync(join(dir, name), 'x'.repeat(32));
    const rendered = spawnSync('docker-compose', ['-f', file, 'config', '-q'], {
      env: { ...env, REDOUBT_SECRETS_DIR: dir },
      encoding: 'utf8',
    });
    expect(rendered.stderr.replace(/.*'configs' key.*\n?/g, '')).toBe('');
    expect(rendered.status).toBe(0);
  });

  it('uses DNS round robin and host-mode ports everywhere (no IPVS here), and the engine restarts every task', () => {
    for (const [name, service] of services) {
      expect(service.deploy?.endpoint_mode, name).toBe('dnsrr');
      expect(service.deploy?.restart_policy?.condition, name).toBe('any');
      for (const port of service.ports ?? []) expect(port.mode, name).toBe('host');
    }
  });

  it('names every task by a DNS alias that resolves before it is healthy (its hostname)', () => {
    for (const [name, service] of services.filter(([n]) => n !== 'lb' && n !== 'prometheus')) {
      const replicated = (service.deploy?.replicas ?? 1) > 1;
      expect(service.hostname, name).toBe(replicated ? `${name}-{{.Task.Slot}}` : name);
    }
  });

  it('passes no secret in the environment: only *_FILE paths to secrets the service mounts', () => {
    for (const [name, service] of services) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (key.endsWith('_FILE')) {
          const secret = /^\/run\/secrets\/(.+)$/.exec(value)?.[1];
          expect(secret, `${name} ${key}`).toBeDefined();
          expect(service.secrets, `${name} mounts ${secret}`).toContain(secret);
          expect(stack.secrets[secret!], `secret ${secret} declared`).toBeDefined();
        } else
          expect(key, `${name}: ${key} must come from a file`).not.toMatch(
            /TOKEN|PASSWORD|SECRET|_KEY$|_KEYS$|KEY_ID$/,
          );
      }
    }
  });

  it('pins each data node to its zone label, the zone placement is told, and never runs two of it', () => {
    const zones = stack.services['gateway']!.environment!.DATA_NODE_ZONES!;
    for (const i of [1, 2, 3]) {
      const data = stack.services[`data-${i}`]!;
      const zone = `\${REDOUBT_ZONE_D${i}:-zone-${'abc'[i - 1]}}`;
      expect(data.deploy?.placement?.constraints).toEqual([`node.labels.redoubt.zone == ${zone}`]);
      expect(zones.split(',')).toContain(`d${i}=${zone}`);
      expect(data.deploy?.update_config?.order).toBe('stop-first');
      expect(data.environment?.NODE_ID).toBe(`d${i}`);
    }
  });
});
