export {
  DASHBOARDS_DIR,
  DATASOURCE_UID,
  DASHBOARD_UIDS,
  loadDashboards,
  panelsOf,
  type DashboardFile,
  type GrafanaDashboard,
  type GrafanaPanel,
  type GrafanaTarget,
} from './dashboard-files.js';
export { checkDashboard, checkDashboardSet } from './dashboard-structure.js';
export { panelQueries, concreteQuery, metricNames, type PanelQuery } from './panel-queries.js';
export {
  startPrometheus,
  prometheusAvailable,
  scrapeConfig,
  PROMETHEUS_BINARY,
  type PrometheusServer,
  type ScrapeJob,
  type PrometheusQueryResult,
} from './prometheus-server.js';
