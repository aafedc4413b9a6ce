import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedoubtError } from '@redoubt/errors';
import { freePort, ServiceProcess } from '@redoubt/local-stack';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

export interface ScrapeJob {
  job: string;
  /** host:port of each target. */
  targets: string[];
}

export interface PrometheusQueryResult {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

export interface PrometheusServer {
  url: string;
  query(expr: string): Promise<PrometheusQueryResult>;
  /** Metric families Prometheus has series for. */
  metricNames(): Promise<Set<string>>;
  /** Scrape targets with their health. */
  targets(): Promise<{ job: string; instance: string; health: string; lastError: string }[]>;
  stop(): Promise<void>;
}

export function prometheusAvailable(): boolean {
  return existsSync(PROMETHEUS_BINARY);
}

/** A scrape configuration for the given jobs (honor_labels: the services' own `instance` labels win). */
export function scrapeConfig(jobs: readonly ScrapeJob[], intervalSeconds: number): string {
  const lines = [
    'global:',
    `  scrape_interval: ${intervalSeconds}s`,
    `  scrape_timeout: ${Math.max(1, intervalSeconds - 0.5)}s`,
    `  evaluation_interval: ${intervalSeconds}s`,
    'scrape_configs:',
  ];
  for (const job of jobs) {
    lines.push(`  - job_name: ${JSON.stringify(job.job)}`, '    honor_labels: true', '    static_configs:');
    lines.push(`      - targets: [${job.targets.map((t) => JSON.stringify(t)).join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}

/**
 * A real Prometheus (the Debian package) on a free loopback port, scraping `jobs`, with its TSDB in `dir`.
 * Stopped (by PID) with `stop()`.
 */
export async function startPrometheus(options: {
  dir: string;
  jobs: readonly ScrapeJob[];
  intervalSeconds?: number;
}): Promise<PrometheusServer> {
  if (!prometheusAvailable())
    throw new RedoubtError(
      'CONFIG_INVALID',
      `${PROMETHEUS_BINARY} is missing: apt-get install -y prometheus`,
    );
  mkdirSync(options.dir, { recursive: true });
  const config = join(options.dir, 'prometheus.yml');
  writeFileSync(config, scrapeConfig(options.jobs, options.intervalSeconds ?? 1));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process = new ServiceProcess({
    name: 'prometheus',
    command: PROMETHEUS_BINARY,
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(options.dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    env: {},
    readyUrl: `${url}/-/ready`,
    readyTimeoutMs: 60_000,
    log: join(options.dir, 'prometheus.log'),
  });
  await process.start();

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    return (await response.json()) as T;
  };
  return {
    url,
    query: (expr) => api<PrometheusQueryResult>(`/api/v1/query?query=${encodeURIComponent(expr)}`),
    metricNames: async () => new Set((await api<{ data: string[] }>('/api/v1/label/__name__/values')).data),
    targets: async () =>
      (
        await api<{
          data: {
            activeTargets: {
              labels: { job: string; instance: string };
              scrapeUrl: string;
              health: string;
              lastError: string;
            }[];
          };
        }>('/api/v1/targets')
      ).data.activeTargets.map((t) => ({
        job: t.labels.job,
        instance: t.scrapeUrl,
        health: t.health,
        lastError: t.lastError,
      })),
    stop: () => process.stop(10_000).then(() => undefined),
  };
}
