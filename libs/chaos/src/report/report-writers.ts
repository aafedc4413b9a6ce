import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDuration } from '../scenario/duration.js';
import type { ChaosReport, FaultReport } from './report-model.js';
import { escapeXml, timelineSvg } from './timeline-svg.js';

export function jsonReport(report: ChaosReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : `${(v * 100).toFixed(2)}%`;
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : formatDuration(v));
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The target, the link for a link fault (`gateway-1 → data-1`), the offset for a clock fault. */
function targetOf(f: FaultReport): string {
  if (f.link) return f.link;
  if (f.skewMs !== undefined && f.skewMs !== null)
    return `${f.target} (clock ${f.skewMs >= 0 ? '+' : '−'}${formatDuration(Math.abs(f.skewMs))})`;
  return f.target;
}

function faultRows(faults: readonly FaultReport[]): string[][] {
  return faults.map((f) => [
    String(f.index),
    f.kind,
    targetOf(f),
    f.outcome + (f.reason ? `: ${f.reason}` : ''),
    f.outcome === 'injected' && f.detectedAt === null && f.recoverSource === 'load'
      ? 'no client-visible effect'
      : `${ms(f.timeToDetectMs)}${f.detectSource ? ` (${f.detectSource})` : ''}`,
    `${ms(f.timeToRecoverMs)}${f.recoverSource ? ` (${f.recoverSource})` : ''}`,
    ms(f.recoverWithinMs),
    f.objectiveMet === null ? '—' : f.objectiveMet ? 'met' : 'MISSED',
    pct(f.duringFault?.errorRate),
    ms(f.duringFault?.p99Ms),
  ]);
}

const FAULT_HEADERS = [
  '#',
  'kind',
  'target',
  'outcome',
  'time to detect',
  'time to recover',
  'objective',
  'met',
  'error rate',
  'p99',
];

export function markdownReport(report: ChaosReport): string {
  const lines: string[] = [];
  lines.push(`# Chaos run ${report.runId}: ${report.verdict === 'pass' ? 'PASS' : 'FAIL'}`, '');
  lines.push(
    `Scenario **${report.scenario}** (seed \`${report.seed}\`), ${report.driver} driver, ${report.loadEngine} load, ` +
      `${report.startedAt} → ${report.endedAt} (${formatDuration(report.durationMs)}).`,
    '',
  );
  if (report.description) lines.push(report.description.trim(), '');
  if (report.aborted) lines.push(`**Aborted:** ${report.aborted}`, '');
  if (report.failures.length > 0) {
    lines.push('## Failures', '');
    for (const failure of report.failures) lines.push(`- ${failure}`);
    lines.push('');
  }
  lines.push('## Writes', '');
  lines.push('| attempted | acknowledged | lost | unknown | recovered unknown | unexpected | failed |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  const w = report.writes;
  lines.push(
    `| ${w.attempted} | ${w.acknowledged} | ${w.lost} | ${w.unknown} | ${w.recoveredUnknown} | ${w.unexpected} | ${w.failed} |`,
    '',
  );
  lines.push('## Verifications', '');
  for (const v of report.verifications) lines.push(`- ${v.passed ? '✅' : '❌'} **${v.name}**: ${v.detail}`);
  lines.push('', '## Faults', '');
  lines.push(`| ${FAULT_HEADERS.join(' | ')} |`, `| ${FAULT_HEADERS.map(() => '---').join(' | ')} |`);
  for (const row of faultRows(report.faults)) lines.push(`| ${row.map(cell).join(' | ')} |`);
  lines.push('', '## Load', '');
  const o = report.load.overall;
  lines.push(
    `${report.load.rate}/s for ${formatDuration(report.load.durationMs)}: ${report.load.arrivals} arrivals ` +
      `(${report.load.puts} PUT, ${report.load.gets} GET, ${report.load.dropped} dropped), error rate ${pct(o.errorRate)}, ` +
      `p50 ${ms(o.p50Ms)}, p99 ${ms(o.p99Ms)}.`,
    '',
    `Steady state outside faults: error rate ${pct(report.steadyState.outsideFaults.errorRate)} ` +
      `(objective ≤ ${pct(report.steadyState.maxErrorRate)}), p99 ${ms(report.steadyState.outsideFaults.p99Ms)} ` +
      `(objective ≤ ${ms(report.steadyState.p99Ms)}): ${report.steadyState.met ? 'met' : 'missed'}.`,
    '',
  );
  if (report.checker && report.checker.lost.length > 0) {
    lines.push(
      '## Lost writes (first 50)',
      '',
      '| write | key | version | read |',
      '| --- | --- | --- | --- |',
    );
    for (const l of report.checker.lost.slice(0, 50))
      lines.push(`| ${l.id} | ${cell(l.key)} | ${l.version ?? '—'} | ${cell(l.read)} |`);
    lines.push('');
  }
  if (report.checker && report.checker.unexpected.length > 0) {
    lines.push('## Unexpected values (first 50)', '', '| key | version | why |', '| --- | --- | --- |');
    for (const u of report.checker.unexpected.slice(0, 50))
      lines.push(`| ${cell(u.key)} | ${u.version ?? '—'} | ${cell(u.reason)} |`);
    lines.push('');
  }
  if (report.replicas && report.replicas.divergent.length > 0) {
    lines.push('## Divergent partitions (first 20)', '');
    for (const d of report.replicas.divergent.slice(0, 20))
      lines.push(
        `- partition ${d.partition}: ${Object.entries(d.replicas)
          .map(([id, root]) => `${id}=${root.slice(0, 16)}`)
          .join(', ')}`,
      );
    lines.push('');
  }
  if (report.healed.length > 0) lines.push('## Healing', '', ...report.healed.map((h) => `- ${h}`), '');
  lines.push('Files: `report.json`, `report.md`, `report.html`, `history.jsonl` in this folder.', '');
  return lines.join('\n');
}

export function htmlReport(report: ChaosReport): string {
  const pass = report.verdict === 'pass';
  const w = report.writes;
  const rows = faultRows(report.faults)
    .map((row) => `<tr>${row.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  const verifications = report.verifications
    .map(
      (v) =>
        `<li class="${v.passed ? 'ok' : 'bad'}"><b>${escapeXml(v.name)}</b>: ${escapeXml(v.detail)}</li>`,
    )
    .join('\n');
  const failures = report.failures.map((f) => `<li>${escapeXml(f)}</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chaos run ${escapeXml(report.runId)}: ${pass ? 'PASS' : 'FAIL'}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; color: #222; padding: 0 1rem; }
.verdict { display: inline-block; padding: .2rem .7rem; border-radius: 4px; color: #fff; background: ${pass ? '#2e8540' : '#c0392b'}; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 6px; text-align: left; }
th { background: #f3f3f3; }
li.ok::marker { content: '✔ '; color: #2e8540; }
li.bad::marker { content: '✘ '; color: #c0392b; }
.counts td { font-size: 18px; text-align: center; }
</style>
</head>
<body>
<h1>Chaos run <code>${escapeXml(report.runId)}</code> <span class="verdict">${pass ? 'PASS' : 'FAIL'}</span></h1>
<p>Scenario <b>${escapeXml(report.scenario)}</b>, seed <code>${escapeXml(String(report.seed))}</code>, ${report.driver} driver,
${report.loadEngine} load; ${escapeXml(report.startedAt)} → ${escapeXml(report.endedAt)} (${escapeXml(formatDuration(report.durationMs))}).</p>
${report.description ? `<p>${escapeXml(report.description)}</p>` : ''}
${report.aborted ? `<p><b>Aborted:</b> ${escapeXml(report.aborted)}</p>` : ''}
${failures ? `<h2>Failures</h2><ul>${failures}</ul>` : ''}
<h2>Writes</h2>
<table class="counts"><tr><th>attempted</th><th>acknowledged</th><th>lost</th><th>unknown</th><th>recovered unknown</th><th>unexpected</th><th>failed</th></tr>
<tr><td>${w.attempted}</td><td>${w.acknowledged}</td><td>${w.lost}</td><td>${w.unknown}</td><td>${w.recoveredUnknown}</td><td>${w.unexpected}</td><td>${w.failed}</td></tr></table>
<h2>Verifications</h2>
<ul>${verifications}</ul>
<h2>Timeline</h2>
${timelineSvg(report.timeline.buckets, report.timeline.bucketMs, report.faults)}
<h2>Faults</h2>
<table><tr>${FAULT_HEADERS.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>
${rows}
</table>
<h2>Healing</h2>
<ul>${report.healed.map((h) => `<li>${escapeXml(h)}</li>`).join('') || '<li>nothing needed healing</li>'}</ul>
</body>
</html>
`;
}

/** Writes report.json, report.md and report.html into `dir` (created); returns their paths. */
export function writeReports(
  dir: string,
  report: ChaosReport,
): { json: string; markdown: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const paths = {
    json: join(dir, 'report.json'),
    markdown: join(dir, 'report.md'),
    html: join(dir, 'report.html'),
  };
  writeFileSync(paths.json, jsonReport(report));
  writeFileSync(paths.markdown, markdownReport(report));
  writeFileSync(paths.html, htmlReport(report));
  return paths;
}
