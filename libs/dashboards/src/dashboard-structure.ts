import {
  DASHBOARD_UIDS,
  DATASOURCE_UID,
  panelsOf,
  type DashboardFile,
  type GrafanaDashboard,
} from './dashboard-files.js';

const PANEL_TYPES = new Set(['timeseries', 'stat', 'state-timeline', 'gauge', 'bargauge', 'table', 'text']);

/** Problems with one dashboard, one line each (empty when it is fine). */
export function checkDashboard(dashboard: GrafanaDashboard): string[] {
  const problems: string[] = [];
  const where = dashboard.uid ?? dashboard.title ?? '(no uid)';
  if (!dashboard.uid || !/^redoubt-[a-z0-9-]{1,32}$/.test(dashboard.uid))
    problems.push(`${where}: uid must be redoubt-<name> (stable, at most 40 characters)`);
  if (!dashboard.title) problems.push(`${where}: no title`);
  if (typeof dashboard.schemaVersion !== 'number' || dashboard.schemaVersion < 36)
    problems.push(`${where}: schemaVersion must be >= 36`);
  const ids = new Set<number>();
  for (const panel of dashboard.panels ?? []) {
    if (typeof panel.id !== 'number')
      problems.push(`${where}: a panel without a numeric id (${panel.title})`);
    else if (ids.has(panel.id)) problems.push(`${where}: panel id ${panel.id} is used twice`);
    else ids.add(panel.id);
    const g = panel.gridPos;
    if (!g || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1 || g.y < 0)
      problems.push(`${where}: panel "${panel.title}" has no valid gridPos`);
  }
  for (const panel of panelsOf(dashboard)) {
    const name = `${where}: panel "${panel.title ?? panel.id}"`;
    if (!panel.title) problems.push(`${name}: no title`);
    if (!PANEL_TYPES.has(panel.type ?? '')) problems.push(`${name}: unexpected type ${panel.type}`);
    if (panel.type === 'text') continue;
    if (panel.datasource?.uid !== DATASOURCE_UID || panel.datasource?.type !== 'prometheus')
      problems.push(`${name}: datasource must be prometheus/${DATASOURCE_UID}`);
    const targets = panel.targets ?? [];
    if (targets.length === 0) problems.push(`${name}: no targets`);
    const refIds = new Set<string>();
    for (const target of targets) {
      if (!target.expr || target.expr.trim() === '') problems.push(`${name}: a target without expr`);
      if (!target.refId || refIds.has(target.refId)) problems.push(`${name}: missing or repeated refId`);
      refIds.add(target.refId ?? '');
      if (target.datasource && target.datasource.uid !== DATASOURCE_UID)
        problems.push(`${name}: target ${target.refId} names datasource ${target.datasource.uid}`);
      if (target.expr && /\[\d+[smh]\]/.test(target.expr) && /rate\(|increase\(/.test(target.expr))
        problems.push(`${name}: target ${target.refId} uses a fixed rate window; use $__rate_interval`);
    }
  }
  return problems;
}

/** Problems across the set: every expected uid present once, titles unique, each file valid. */
export function checkDashboardSet(files: readonly DashboardFile[]): string[] {
  const problems = files.flatMap(({ file, dashboard }) =>
    checkDashboard(dashboard).map((p) => `${file}: ${p}`),
  );
  const uids = files.map((f) => f.dashboard.uid);
  for (const uid of DASHBOARD_UIDS) {
    const count = uids.filter((u) => u === uid).length;
    if (count !== 1) problems.push(`dashboard uid ${uid} appears ${count} times (expected once)`);
  }
  for (const uid of uids)
    if (!(DASHBOARD_UIDS as readonly (string | undefined)[]).includes(uid))
      problems.push(`unexpected dashboard uid ${uid}`);
  const titles = files.map((f) => f.dashboard.title);
  if (new Set(titles).size !== titles.length) problems.push('two dashboards share a title');
  return problems;
}
