// Time to detect and time to recover, measured from the moment a fault is injected (the bench knows it
// exactly), for kill -9 (`kill` through the supervisor, which does not restart it) and SIGSTOP (`pause`),
// with the real monitor (probes + the supervisor's event source) and, as the baseline in the same run, a
// bare HealthProber with the same settings and no event source. Writes
// <repo>/bench/results/monitor-detection-<timestamp>.json and prints a summary; the objective is 1 s.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { HealthProber } from '@redoubt/failure-detection';
import { REPO_ROOT } from '@redoubt/local-stack';
import { MonitorFixture, waitFor } from '../src/testing/monitor-fixture.js';

const TRIALS = Number(process.env.TRIALS ?? 6);
const OBJECTIVE_MS = 1_000;
const startedAt = Date.now();
const loadAtStart = loadavg()[0]!;

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { n: sorted.length, p50Ms: at(0.5), p90Ms: at(0.9), maxMs: sorted.at(-1) ?? NaN };
}

const cluster = await MonitorFixture.start({ dataNodes: 3 });
const bare = new HealthProber({
  targets: cluster.dataNodes.map((n) => ({ name: n.id, kind: 'data', url: n.url })),
  intervalMs: 250,
  timeoutMs: 400,
});
const bareDown = new Map<string, number>();
bare.on('transition', (t) => {
  if (t.to === 'down') bareDown.set(t.target, t.at);
});
bare.start();

const results: Record<string, { monitorDetect: number[]; monitorRecover: number[]; bareDetect: number[] }> = {
  kill: { monitorDetect: [], monitorRecover: [], bareDetect: [] },
  pause: { monitorDetect: [], monitorRecover: [], bareDetect: [] },
};
try {
  for (let trial = 0; trial < TRIALS; trial++) {
    for (const fault of ['kill', 'pause'] as const) {
      const node = cluster.dataNodes[trial % cluster.dataNodes.length]!;
      await waitFor('every node up', async () =>
        (await cluster.status()).nodes.every((n) => n.health === 'up'),
      );
      bareDown.delete(node.id);
      const injectedAt = Date.now();
      await cluster.supervisor.control(node.name, fault);
      const event = await waitFor(`${node.id} recovered after ${fault}`, async () =>
        (await cluster.status()).events.find(
          (e) =>
            e.target === node.id && e.detectedAt >= injectedAt && e.status === 'recovered' && e.recoveredAt,
        ),
      );
      const r = results[fault]!;
      r.monitorDetect.push(event.detectedAt - injectedAt);
      r.monitorRecover.push(event.recoveredAt! - injectedAt);
      const bareAt = await waitFor('the bare prober to see it', () => bareDown.get(node.id), 10_000).catch(
        () => undefined,
      );
      if (bareAt !== undefined) r.bareDetect.push(bareAt - injectedAt);
      process.stdout.write(
        `${fault} ${node.id}: detect ${event.detectedAt - injectedAt} ms, recover ${event.recoveredAt! - injectedAt} ms\n`,
      );
    }
  }
} finally {
  await bare.stop();
  await cluster.stop();
}

const summary = Object.fromEntries(
  Object.entries(results).map(([fault, r]) => {
    const detect = stats(r.monitorDetect);
    const baseline = stats(r.bareDetect);
    return [
      fault,
      {
        monitorDetect: detect,
        monitorRecover: stats(r.monitorRecover),
        bareProberDetect: baseline,
        ratioP90ToObjective: detect.p90Ms / OBJECTIVE_MS,
        ratioP50ToBareProber: detect.p50Ms / baseline.p50Ms,
      },
    ];
  }),
);
const report = {
  benchmark: 'monitor-detection',
  at: new Date(startedAt).toISOString(),
  seconds: (Date.now() - startedAt) / 1000,
  environment: {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg()[0],
  },
  parameters: {
    trials: TRIALS,
    probeIntervalMs: 250,
    probeTimeoutMs: 400,
    objectiveMs: OBJECTIVE_MS,
    dataNodes: 3,
  },
  results: summary,
};
const outDir = resolve(REPO_ROOT, 'bench/results');
mkdirSync(outDir, { recursive: true });
const file = resolve(outDir, `monitor-detection-${report.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
console.table(
  Object.entries(summary).map(([fault, s]) => ({
    fault,
    'detect p50 ms': s.monitorDetect.p50Ms,
    'detect p90 ms': s.monitorDetect.p90Ms,
    'recover p50 ms': s.monitorRecover.p50Ms,
    'bare prober p50 ms': s.bareProberDetect.p50Ms,
    'p90 / 1 s': s.ratioP90ToObjective.toFixed(2),
  })),
);
console.log(`written to ${file}`);
