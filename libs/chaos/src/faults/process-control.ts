import { RedoubtError, type ErrorCode, errorCatalogue } from '@redoubt/errors';

/** A supervised process as the control API reports it (apps/stack, libs/local-stack ProcessStatus). */
export interface ControlledProcess {
  name: string;
  role: string;
  tier?: number;
  pid: number | null;
  state: string;
  restarts: number;
  startedAt?: string | null;
}

export type ControlAction = 'start' | 'stop' | 'kill' | 'crash' | 'restart' | 'pause' | 'resume';

/** The supervisor's control surface: over HTTP (the control API of `npm start`) or in-process. */
export interface ProcessControl {
  list(): Promise<ControlledProcess[]>;
  act(name: string, action: ControlAction): Promise<ControlledProcess>;
}

/**
 * The control API client: `GET /v1/processes`, `POST /v1/processes/:name/:action`, admin key in
 * `x-redoubt-admin-key`. Errors keep the catalogue code the API answered with (FAULT_REFUSED, NODE_NOT_FOUND).
 */
export class ControlApiClient implements ProcessControl {
  constructor(
    private readonly baseUrl: string,
    private readonly adminKey: string,
    private readonly timeoutMs = 60_000,
  ) {}

  async list(): Promise<ControlledProcess[]> {
    const body = (await this.call('GET', '/v1/processes')) as { processes: ControlledProcess[] };
    return body.processes;
  }

  async act(name: string, action: ControlAction): Promise<ControlledProcess> {
    return (await this.call(
      'POST',
      `/v1/processes/${encodeURIComponent(name)}/${action}`,
    )) as ControlledProcess;
  }

  private async call(method: string, path: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { 'x-redoubt-admin-key': this.adminKey },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new RedoubtError(
        'REPLICA_UNAVAILABLE',
        `the stack's control API at ${this.baseUrl} did not answer ${method} ${path}: ${(error as Error).message}`,
      );
    }
    const body = (await response.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string };
    };
    if (!response.ok) {
      const code =
        body.error?.code && body.error.code in errorCatalogue ? (body.error.code as ErrorCode) : 'INTERNAL';
      throw new RedoubtError(code, body.error?.message ?? `${method} ${path} answered ${response.status}`, {
        status: response.status,
      });
    }
    return body;
  }
}
