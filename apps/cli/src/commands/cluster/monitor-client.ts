import { RedoubtError, errorCatalogue, type ErrorCode } from '@redoubt/errors';
import type { MonitorTarget } from './monitor-target.js';

/**
 * The monitor's HTTP API for the command line. Errors come back as the monitor's own RedoubtErrors (code,
 * message, details); a change sent to a monitor that does not lead is sent once more to the leader it names.
 */
export class MonitorClient {
  constructor(
    private readonly target: MonitorTarget,
    private readonly timeoutMs = 30_000,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  delete<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('DELETE', path, body);
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    base = this.target.url,
    redirected = false,
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          'x-redoubt-admin-key': this.target.adminKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new RedoubtError(
        'REPLICA_UNAVAILABLE',
        `the monitor at ${base} did not answer (${(error as Error).message})${this.target.source ? `; found via ${this.target.source}` : ''}`,
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = {};
    }
    if (res.ok) return parsed as T;
    const error = (
      parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }
    ).error;
    const code = (error?.code && error.code in errorCatalogue ? error.code : 'INTERNAL') as ErrorCode;
    const leaderUrl = error?.details?.leaderUrl;
    if (
      code === 'NOT_LEADER' &&
      typeof leaderUrl === 'string' &&
      leaderUrl &&
      !redirected &&
      leaderUrl !== base
    )
      return this.call<T>(method, path, body, leaderUrl.replace(/\/+$/, ''), true);
    throw new RedoubtError(code, error?.message ?? `HTTP ${res.status}`, (error?.details ?? {}) as never);
  }
}
