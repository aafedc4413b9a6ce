import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@redoubt/local-stack';

/** Where the Grafana dashboards live (provisioned into Grafana from here). */
export const DASHBOARDS_DIR = join(REPO_ROOT, 'dashboards');

/** The uid every panel and query names: the provisioned Prometheus datasource. */
export const DATASOURCE_UID = 'redoubt-prometheus';

/** The dashboards by uid. Links and bookmarks point at these: they never change. */
export const DASHBOARD_UIDS = ['redoubt-overview', 'redoubt-storage', 'redoubt-chaos'] as const;

export interface GrafanaTarget {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
  [key: string]: unknown;
}

export interface GrafanaPanel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
  [key: string]: unknown;
}

export interface GrafanaDashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: GrafanaPanel[];
  annotations?: { list?: { name?: string; datasource?: { type?: string; uid?: string } }[] };
  [key: string]: unknown;
}

export interface DashboardFile {
  file: string;
  dashboard: GrafanaDashboard;
}

export function loadDashboards(dir = DASHBOARDS_DIR): DashboardFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as GrafanaDashboard,
    }));
}

/** Every panel, rows' nested panels included, rows themselves excluded. */
export function panelsOf(dashboard: GrafanaDashboard): GrafanaPanel[] {
  const out: GrafanaPanel[] = [];
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === 'row') out.push(...(panel.panels ?? []));
    else out.push(panel);
  }
  return out;
}
