import { RedoubtError, errorCatalogue, type ErrorCode } from '@redoubt/errors';
import { findStackFile } from './monitor-target.js';

/** A data node the local stack started: what `redoubt node add --start` hands the monitor. */
export interface StartedDataNode {
  id: string;
  name: string;
  url: string;
  port: number;
  dir: string;
}

/**
 * The supervisor of a running `npm start` (its control API, from stack.json), for the capacity commands:
 * `node add --start` starts a data node there, `node remove --stop` retires it. On Docker or Kubernetes
 * the engine starts data nodes; this refuses, saying so, when no local stack runs.
 */
export class LocalSupervisor {
  private constructor(
    private readonly url: string,
    private readonly adminKey: string,
  ) {}

  static find(): LocalSupervisor {
    const found = findStackFile();
    const control = found?.stack.supervisor.control;
    if (!found || !control)
      throw new RedoubtError(
        'CONFIG_INVALID',
        'no running local stack (npm start) with a control API was found (.redoubt/stack.json, or $REDOUBT_HOME); ' +
          'on Docker or Kubernetes start the data node with the engine and pass --url instead (docs/deploy.md)',
      );
    return new LocalSupervisor(control.replace(/\/+$/, ''), found.stack.keys.adminKey);
  }

  /** Refused before anything changes: the supervisor names its data nodes d1..d30 (process data-<n>). */
  static checkId(id: string): void {
    const n = /^d([1-9]\d*)$/.exec(id)?.[1];
    if (!n || Number(n) > 30)
      throw new RedoubtError(
        'INVALID_ARGUMENT',
        `the local stack names its data nodes d1..d30 (process data-<n>, directory data/d<n>); "${id}" is not one of them`,
        { id },
      );
  }

  startDataNode(id: string): Promise<StartedDataNode> {
    return this.call('POST', '/v1/data-nodes', { id });
  }

  retireDataNode(id: string): Promise<{ retired: string }> {
    return this.call('DELETE', `/v1/data-nodes/${encodeURIComponent(id)}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          'x-redoubt-admin-key': this.adminKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // Starting a data node answers once it is ready (its log replayed): allow for a slow machine.
        signal: AbortSignal.timeout(90_000),
      });
    } catch (error) {
      throw new RedoubtError(
        'REPLICA_UNAVAILABLE',
        `the local stack's supervisor at ${this.url} did not answer (${(error as Error).message}); is npm start still running?`,
      );
    }
    const parsed = (await res.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
    if (res.ok) return parsed as T;
    const code = (
      parsed.error?.code && parsed.error.code in errorCatalogue ? parsed.error.code : 'INTERNAL'
    ) as ErrorCode;
    throw new RedoubtError(
      code,
      `the local stack: ${parsed.error?.message ?? `HTTP ${res.status}`}`,
      (parsed.error?.details ?? {}) as never,
    );
  }
}
