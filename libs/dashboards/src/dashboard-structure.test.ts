import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '@redoubt/local-stack';
import {
  DASHBOARD_UIDS,
  DASHBOARDS_DIR,
  DATASOURCE_UID,
  loadDashboards,
  panelsOf,
} from './dashboard-files.js';
import { checkDashboard, checkDashboardSet } from './dashboard-structure.js';
import { metricNames, panelQueries } from './panel-queries.js';

const files = loadDashboards();

/** Every TypeScript source of apps/ and libs/ (not tests), to find where a metric is defined. */
function sources(): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) out.push(readFileSync(path, 'utf8'));
    }
  };
  walk(join(REPO_ROOT, 'apps'));
  walk(join(REPO_ROOT, 'libs'));
  return out.join('\n');
}

describe('the Grafana dashboards', () => {
  it('are the three expected ones, each valid: stable uids, the fixed datasource, targets on every panel', () => {
    expect(files.map((f) => f.dashboard.uid).sort()).toEqual([...DASHBOARD_UIDS].sort());
    expect(checkDashboardSet(files)).toEqual([]);
    for (const { dashboard } of files) {
      const panels = panelsOf(dashboard);
      expect(panels.length).toBeGreaterThan(5);
      for (const panel of panels) {
        expect(panel.datasource?.uid).toBe(DATASOURCE_UID);
        expect(panel.targets?.length).toBeGreaterThan(0);
      }
    }
  });

  it('mark chaos faults from the Grafana annotations tagged chaos', () => {
    for (const { dashboard } of files)
      expect(dashboard.annotations?.list).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'Chaos faults' })]),
      );
  });

  it('use $__rate_interval for rates, and the checker catches what is wrong', () => {
    const broken = structuredClone(files[0]!.dashboard);
    broken.uid = 'Overview';
    const panel = panelsOf(broken)[0]!;
    panel.datasource = { type: 'prometheus', uid: 'some-other' };
    panel.targets = [{ refId: 'A', expr: 'rate(redoubt_http_request_duration_seconds_count[5m])' }];
    panelsOf(broken)[1]!.targets = [];
    const problems = checkDashboard(broken).join('\n');
    expect(problems).toMatch(/uid must be redoubt-/);
    expect(problems).toMatch(/datasource must be prometheus\/redoubt-prometheus/);
    expect(problems).toMatch(/fixed rate window/);
    expect(problems).toMatch(/no targets/);
  });

  it('query only metrics that the apps define (or Node.js and Prometheus ones)', () => {
    const code = sources();
    const unknown: string[] = [];
    for (const { dashboard } of files)
      for (const query of panelQueries(dashboard))
        for (const name of metricNames(query.expr)) {
          if (/^(up|nodejs_|process_)/.test(name)) continue;
          if (!code.includes(`'${name}'`)) unknown.push(`${query.dashboard} / ${query.panel}: ${name}`);
        }
    expect(unknown).toEqual([]);
  });

  it('are provisioned: the datasource by the fixed uid, the dashboards from their folder', () => {
    const datasources = parse(
      readFileSync(join(DASHBOARDS_DIR, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string; type: string }[] };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ uid: DATASOURCE_UID, type: 'prometheus' }),
    ]);
    const providers = parse(
      readFileSync(join(DASHBOARDS_DIR, 'provisioning', 'dashboards', 'redoubt.yml'), 'utf8'),
    ) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(providers.providers[0]).toMatchObject({ type: 'file', options: { path: expect.any(String) } });
  });

  it('finds the metric families in a query, not its functions or labels', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, method) (rate(redoubt_http_request_duration_seconds_bucket{route="/v1/kv/:key"}[$__rate_interval]))) or vector(0)',
      ),
    ).toEqual(['redoubt_http_request_duration_seconds']);
    expect(metricNames('time() - min(redoubt_backup_oldest_success_timestamp_seconds)')).toEqual([
      'redoubt_backup_oldest_success_timestamp_seconds',
    ]);
  });
});
