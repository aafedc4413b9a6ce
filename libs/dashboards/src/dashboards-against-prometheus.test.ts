import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChaosMetrics, GatewayClient } from '@redoubt/chaos';
import { startLocalStack, type LocalStack } from '@redoubt/local-stack';
import { loadDashboards } from './dashboard-files.js';
import { concreteQuery, metricNames, panelQueries } from './panel-queries.js';
import { startPrometheus, type PrometheusServer } from './prometheus-server.js';

// A real stack (every app as processes, with a monitor and backups on) and the chaos app's exporter,
// scraped every second by a real Prometheus; then every panel query of every dashboard, with Grafana's
// variables fixed, must parse, run and return data, and every metric it reads must be one the services
// really export.
let home: string;
let stack: LocalStack;
let prometheus: PrometheusServer;
let chaosExporter: { port: number; close: () => Promise<void> };
let monitorUrl: string | undefined;
const exported = new Set<string>();

const hostPort = (url: string) => new URL(url).host;

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'dashboards-'));
  stack = await startLocalStack({
    home,
    dataNodes: 3,
    gateways: 2,
    instances: { monitor: 1 },
    backups: true,
    partitions: 32,
    logLevel: 'warn',
  });

  monitorUrl = stack.instances.find((i) => i.role === 'monitor')?.url;

  // The chaos app's series, as a run records them.
  const chaos = new ChaosMetrics();
  chaosExporter = await chaos.serve(0, '127.0.0.1');
  chaos.runStarted('dashboards-test', 'run-1');
  chaos.faultStarted('crash', 'data-2');
  chaos.faultEnded('crash', 'data-2', 'injected', 150, 2300);

  const byRole = new Map<string, string[]>();
  // Every redoubt service exports /metrics; the stack's object store (s3rver, role s3) is not ours and has none.
  for (const instance of stack.instances)
    if (instance.url.startsWith('http') && instance.role !== 's3')
      byRole.set(instance.role, [...(byRole.get(instance.role) ?? []), hostPort(instance.url)]);
  prometheus = await startPrometheus({
    dir: join(home, 'prometheus'),
    intervalSeconds: 1,
    jobs: [
      ...[...byRole].map(([role, targets]) => ({ job: `redoubt-${role}`, targets })),
      { job: 'redoubt-chaos', targets: [`127.0.0.1:${chaosExporter.port}`] },
    ],
  });

  // Traffic through the public API (and so through breakers, quorum, storage), recorded by the chaos metrics.
  const client = new GatewayClient({
    urls: stack.gateways.map((g) => g.url),
    apiKey: stack.keys.apiKey,
    timeoutMs: 3000,
  });
  const deadline = Date.now() + 12_000;
  for (let i = 0; Date.now() < deadline; i += 1) {
    const started = Date.now();
    const outcome = await client.put(i, `dash/${i}`, `value ${i}`);
    chaos.request('put', Date.now() - started, outcome.status === 'ok');
    chaos.write(outcome.status);
    const read = await client.get(i + 1, `dash/${Math.floor(i / 2)}`);
    chaos.request('get', 5, read.status !== 'error');
    await sleep(20);
  }
  await client.close();

  // One real fault for the monitor to detect and see recover (its time-to-detect/recover series).
  await stack.process('data-2').crash();
  await stack.process('data-2').waitFor((p) => p.state === 'running', 60_000);
  const recorded = Date.now() + 30_000;
  while (monitorUrl && Date.now() < recorded) {
    if ((await metricValue(monitorUrl, 'redoubt_monitor_time_to_recover_seconds_count')) > 0) break;
    await sleep(500);
  }

  // What the services export, HELP lines included (a labelled counter with no sample yet still has one).
  const scraped = stack.instances.filter((i) => i.url.startsWith('http')).map((i) => i.url);
  for (const instance of scraped.concat(`http://127.0.0.1:${chaosExporter.port}`)) {
    const text = await (await fetch(`${instance}/metrics`)).text();
    for (const match of text.matchAll(/^# HELP (\S+)/gm)) exported.add(match[1]!);
  }
  // Every target scraped a few times, so rates over the window have samples.
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const targets = await prometheus.targets();
    if (targets.length > 0 && targets.every((t) => t.health === 'up')) break;
    await sleep(500);
  }
  await sleep(3000);
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  await chaosExporter?.close();
  await stack?.stop();
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe('the dashboards against a real Prometheus scraping a running stack', () => {
  it('scrapes every service of the stack', async () => {
    const targets = await prometheus.targets();
    expect(targets.filter((t) => t.health !== 'up')).toEqual([]);
    expect(new Set(targets.map((t) => t.job))).toEqual(expect.objectContaining({ size: expect.any(Number) }));
    expect(targets.map((t) => t.job)).toEqual(
      expect.arrayContaining(['redoubt-data', 'redoubt-gateway', 'redoubt-chaos']),
    );
  });

  it('runs every panel query: it parses and returns data', async () => {
    const failures: string[] = [];
    for (const { dashboard } of loadDashboards()) {
      for (const query of panelQueries(dashboard)) {
        const expr = concreteQuery(query.expr, { rateInterval: '30s', range: '5m', interval: '5s' });
        const result = await prometheus.query(expr);
        const where = `${query.dashboard} / ${query.panel} / ${query.refId}`;
        if (result.status !== 'success') failures.push(`${where}: ${result.errorType}: ${result.error}`);
        else if ((result.data?.result.length ?? 0) === 0) failures.push(`${where}: no data for ${expr}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('reads only metrics the running services export', async () => {
    const seen = await prometheus.metricNames();
    const missing: string[] = [];
    for (const { dashboard } of loadDashboards())
      for (const query of panelQueries(dashboard))
        for (const name of metricNames(query.expr)) {
          const known = [name, `${name}_bucket`, `${name}_count`, `${name}_total`].some(
            (n) => seen.has(n) || exported.has(n),
          );
          if (!known) missing.push(`${query.dashboard} / ${query.panel}: ${name}`);
        }
    expect(missing).toEqual([]);
  });
});
