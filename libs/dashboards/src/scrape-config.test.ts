import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '@redoubt/local-stack';

const file = join(REPO_ROOT, 'deploy', 'prometheus', 'prometheus.yml');

describe('the Prometheus scrape configuration (deploy/prometheus/prometheus.yml)', () => {
  it('is valid for Prometheus itself (promtool check config)', () => {
    const check = spawnSync('promtool', ['check', 'config', '--syntax-only', file], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(check.status, `${check.stdout}\n${check.stderr}`).toBe(0);
  });

  it('scrapes every redoubt service, keeping the services own instance labels', () => {
    const config = parse(readFileSync(file, 'utf8')) as {
      scrape_configs: { job_name: string; honor_labels?: boolean }[];
    };
    const jobs = config.scrape_configs.filter((j) => j.job_name.startsWith('redoubt-'));
    expect(jobs.map((j) => j.job_name).sort()).toEqual(
      ['redoubt-backup-worker', 'redoubt-chaos', 'redoubt-data', 'redoubt-gateway', 'redoubt-monitor'].sort(),
    );
    for (const job of jobs) expect(job.honor_labels, job.job_name).toBe(true);
  });
});
