export interface GrafanaAnnotatorOptions {
  /** GRAFANA_URL, e.g. http://grafana:3000 */
  url: string;
  /** GRAFANA_TOKEN (service account token), sent as Bearer. */
  token?: string | undefined;
  /** GRAFANA_USER / GRAFANA_PASSWORD (basic auth), when there is no token. */
  user?: string | undefined;
  password?: string | undefined;
  /** Dashboard to pin the annotations to (absent: organisation-wide, shown on every dashboard that queries them). */
  dashboardUid?: string | undefined;
  timeoutMs?: number;
}

export interface FaultAnnotation {
  time: number;
  timeEnd?: number | undefined;
  tags: string[];
  text: string;
}

/**
 * Marks faults on Grafana (`POST /api/annotations`) so the dashboards show when each one happened. Never
 * throws: a Grafana that is away must not fail a chaos run; failures are counted for the report.
 */
export class GrafanaAnnotator {
  posted = 0;
  failed = 0;
  lastError: string | null = null;

  constructor(private readonly options: GrafanaAnnotatorOptions) {}

  static fromEnv(env: NodeJS.ProcessEnv): GrafanaAnnotator | undefined {
    if (!env.GRAFANA_URL) return undefined;
    return new GrafanaAnnotator({
      url: env.GRAFANA_URL,
      token: env.GRAFANA_TOKEN,
      user: env.GRAFANA_USER,
      password: env.GRAFANA_PASSWORD,
      dashboardUid: env.GRAFANA_DASHBOARD_UID,
    });
  }

  get url(): string {
    return this.options.url;
  }

  async annotate(annotation: FaultAnnotation): Promise<number | undefined> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    else if (this.options.user)
      headers.authorization = `Basic ${Buffer.from(`${this.options.user}:${this.options.password ?? ''}`).toString('base64')}`;
    const body = {
      time: Math.round(annotation.time),
      ...(annotation.timeEnd !== undefined ? { timeEnd: Math.round(annotation.timeEnd) } : {}),
      tags: annotation.tags,
      text: annotation.text,
      ...(this.options.dashboardUid ? { dashboardUID: this.options.dashboardUid } : {}),
    };
    try {
      const response = await fetch(`${this.options.url.replace(/\/+$/, '')}/api/annotations`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000),
      });
      const answer = (await response.json().catch(() => ({}))) as { id?: number; message?: string };
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${answer.message ?? ''}`);
      this.posted += 1;
      return answer.id;
    } catch (error) {
      this.failed += 1;
      this.lastError = (error as Error).message;
      return undefined;
    }
  }
}
