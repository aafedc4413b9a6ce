import type { TimelineBucket } from '../measure/load-timeline.js';
import type { FaultReport } from './report-model.js';

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

interface Panel {
  title: string;
  unit: string;
  colour: string;
  value: (b: TimelineBucket) => number | null;
}

const WIDTH = 960;
const PANEL_HEIGHT = 150;
const GAP = 34;
const LEFT = 64;
const RIGHT = 16;
const TOP = 28;

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function format(value: number): string {
  if (value >= 1000) return `${(value / 1000).toFixed(value >= 10_000 ? 0 : 1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * The run as one self-contained SVG (no scripts, no external resources): throughput, errors and p99
 * latency per second, one panel each, with every fault's window shaded and numbered across all panels.
 */
export function timelineSvg(
  buckets: readonly TimelineBucket[],
  bucketMs: number,
  faults: readonly FaultReport[],
): string {
  const panels: Panel[] = [
    {
      title: 'throughput (successful requests/s)',
      unit: '/s',
      colour: '#2b7bb9',
      value: (b) => ((b.requests - b.errors) * 1000) / bucketMs,
    },
    {
      title: 'errors (failed requests/s)',
      unit: '/s',
      colour: '#d9472b',
      value: (b) => (b.errors * 1000) / bucketMs,
    },
    { title: 'p99 latency (ms)', unit: 'ms', colour: '#7b4bb9', value: (b) => b.p99 },
  ];
  const height = TOP + panels.length * (PANEL_HEIGHT + GAP) + 10;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const start = buckets[0]?.start ?? 0;
  const end = buckets.length > 0 ? buckets[buckets.length - 1]!.start + bucketMs : start + bucketMs;
  const span = Math.max(1, end - start);
  const x = (t: number) => LEFT + ((Math.min(Math.max(t, start), end) - start) / span) * plotWidth;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="chaos run timeline" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
  ];
  panels.forEach((panel, i) => {
    const top = TOP + i * (PANEL_HEIGHT + GAP);
    const values = buckets.map(panel.value);
    const max = niceMax(Math.max(0, ...values.filter((v): v is number => v !== null)));
    const y = (v: number) => top + PANEL_HEIGHT - (v / max) * PANEL_HEIGHT;
    parts.push(`<text x="${LEFT}" y="${top - 8}" font-weight="600">${escapeXml(panel.title)}</text>`);
    parts.push(
      `<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL_HEIGHT}" fill="#fafafa" stroke="#ddd"/>`,
    );
    for (const fault of faults) {
      if (fault.injectedAt === null) continue;
      const to =
        fault.recoveredAt ?? Math.max(fault.endedAt ?? fault.injectedAt, fault.injectedAt + bucketMs);
      const x0 = x(fault.injectedAt);
      const width = Math.max(2, x(to) - x0);
      parts.push(
        `<rect class="fault" x="${x0.toFixed(1)}" y="${top}" width="${width.toFixed(1)}" height="${PANEL_HEIGHT}" fill="#f5a623" fill-opacity="0.18"><title>${escapeXml(`#${fault.index} ${fault.name} (${fault.link ?? fault.target}): detect ${fault.timeToDetectMs ?? '—'} ms, recover ${fault.timeToRecoverMs ?? '—'} ms`)}</title></rect>`,
      );
      // Each fault's own detection (red) and recovery (green) marks.
      for (const [at, colour] of [
        [fault.detectedAt, '#d0021b'],
        [fault.recoveredAt, '#2e7d32'],
      ] as const)
        if (at !== null)
          parts.push(
            `<line class="mark" x1="${x(at).toFixed(1)}" x2="${x(at).toFixed(1)}" y1="${top}" y2="${top + PANEL_HEIGHT}" stroke="${colour}" stroke-dasharray="3,2"/>`,
          );
      if (i === 0)
        parts.push(
          `<text x="${(x0 + 2).toFixed(1)}" y="${top + 12}" fill="#b36b00">#${fault.index} ${escapeXml(fault.kind)}</text>`,
        );
    }
    for (const fraction of [0, 0.5, 1]) {
      const v = max * fraction;
      parts.push(
        `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
      );
      parts.push(
        `<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#666">${format(v)}</text>`,
      );
    }
    const points: string[] = [];
    buckets.forEach((b, j) => {
      const v = values[j];
      if (v === null || v === undefined) return;
      points.push(`${x(b.start + bucketMs / 2).toFixed(1)},${y(v).toFixed(1)}`);
    });
    if (points.length > 0)
      parts.push(
        `<polyline fill="none" stroke="${panel.colour}" stroke-width="1.5" points="${points.join(' ')}"/>`,
      );
    const seconds = Math.round(span / 1000);
    for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
      const t = start + span * fraction;
      parts.push(
        `<text x="${x(t).toFixed(1)}" y="${top + PANEL_HEIGHT + 13}" text-anchor="middle" fill="#666">${Math.round(seconds * fraction)} s</text>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}
