import { panelsOf, type GrafanaDashboard } from './dashboard-files.js';

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

export function panelQueries(dashboard: GrafanaDashboard): PanelQuery[] {
  return panelsOf(dashboard).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t) => typeof t.expr === 'string')
      .map((t) => ({
        dashboard: dashboard.uid ?? '?',
        panel: panel.title ?? String(panel.id),
        refId: t.refId ?? '?',
        expr: t.expr!,
      })),
  );
}

/**
 * A query as Prometheus can run it outside Grafana: Grafana's variables replaced by fixed values
 * ($__rate_interval and $__interval by a window that spans several scrapes, $__range by the whole test).
 */
export function concreteQuery(
  expr: string,
  windows: { rateInterval: string; range: string; interval: string },
): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, windows.rateInterval)
    .replace(/\$__range|\$\{__range\}/g, windows.range)
    .replace(/\$__interval|\$\{__interval\}/g, windows.interval);
}

const NOT_METRICS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'by',
  'without',
  'rate',
  'increase',
  'irate',
  'histogram_quantile',
  'or',
  'and',
  'unless',
  'time',
  'vector',
  'le',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'topk',
  'bottomk',
  'abs',
  'clamp_min',
  'clamp_max',
  'delta',
  'deriv',
  'offset',
  'bool',
  'label_replace',
  'scalar',
]);

/** The metric families a query reads (histogram series without _bucket/_count/_sum). */
export function metricNames(expr: string): string[] {
  const withoutStrings = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]');
  const names = new Set<string>();
  for (const match of withoutStrings.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const after = withoutStrings[match.index + word.length];
    if (NOT_METRICS.has(word) || after === '(') continue;
    // a label name inside by (...) is followed by , or ) and preceded by ( or ,
    const before = withoutStrings.slice(0, match.index).trimEnd();
    if (/\b(by|without)\s*\([^)]*$/.test(before)) continue;
    names.add(word.replace(/_(bucket|count|sum)$/, ''));
  }
  return [...names];
}
